// A workaround for system resolvers that drop simultaneous queries (each one stalls for seconds),
// as on the machines tote was measured on: a client that asks for it looks each host up once, one
// query at a time, and connects every socket to those addresses. It is the client's own (option
// `lookupHostsOnce`): a library user's process keeps the system's lookups, and their TTLs.
import { type LookupAddress, lookup as systemLookup } from 'node:dns'
import { isIP } from 'node:net'

/** The `lookup` option of `net.connect`/`tls.connect`. */
export type LookupFunction = (
  hostname: string,
  options: { all?: boolean; family?: number | string },
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void

function familyNumber(family: number | string | undefined): number {
  if (family === 'IPv4') return 4
  if (family === 'IPv6') return 6
  return typeof family === 'number' ? family : 0
}

export interface LookupOnce {
  /** For the connect options. */
  lookup: LookupFunction
  /** All addresses of a host, looked up at most once. */
  resolve(hostname: string): Promise<LookupAddress[]>
}

/** Asks the system once per host, one host at a time, for this client's lifetime. */
export function createLookupOnce(): LookupOnce {
  const known = new Map<string, Promise<LookupAddress[]>>()
  // One query at a time: the next waits for the one before, failed or not.
  let queue: Promise<unknown> = Promise.resolve()

  function lookupAll(hostname: string): Promise<LookupAddress[]> {
    const next = queue.then(
      () =>
        new Promise<LookupAddress[]>((resolve, reject) => {
          systemLookup(hostname, { all: true }, (error, addresses) =>
            error ? reject(error) : resolve(addresses),
          )
        }),
    )
    queue = next.catch(() => undefined)
    return next
  }

  function resolve(hostname: string): Promise<LookupAddress[]> {
    const ipFamily = isIP(hostname)
    if (ipFamily !== 0) return Promise.resolve([{ address: hostname, family: ipFamily }])
    let addresses = known.get(hostname)
    if (addresses === undefined) {
      addresses = lookupAll(hostname)
      known.set(hostname, addresses)
      // A failed lookup is not remembered: a retry asks again.
      addresses.catch(() => known.delete(hostname))
    }
    return addresses
  }

  const lookup: LookupFunction = (hostname, options, callback) => {
    resolve(hostname).then(
      (all) => {
        const family = familyNumber(options.family)
        const matching = family === 0 ? all : all.filter((entry) => entry.family === family)
        const first = matching[0]
        if (options.all) callback(null, matching)
        else if (first) callback(null, first.address, first.family)
        else {
          const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`)
          error.code = 'ENOTFOUND'
          callback(error, '')
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    )
  }
  return { lookup, resolve }
}
