import { type LookupAddress, lookup as systemLookup } from 'node:dns'
import { isIP } from 'node:net'

/** The `lookup` option of `net.connect`/`tls.connect`. */
export type LookupFunction = (
  hostname: string,
  options: { all?: boolean; family?: number | string },
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void

export interface MemoisedLookup {
  lookup: LookupFunction
  /** All addresses of a host, looked up at most once. */
  resolve(hostname: string): Promise<LookupAddress[]>
  /** Addresses already known (e.g. looked up by the main thread for a worker). */
  seed(hostname: string, addresses: LookupAddress[]): void
}

// The system resolver here drops simultaneous queries (each stalls for seconds): one query at a time
// for the whole process, and each host only once per client.
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

function familyNumber(family: number | string | undefined): number {
  if (family === 'IPv4') return 4
  if (family === 'IPv6') return 6
  return typeof family === 'number' ? family : 0
}

export function createMemoisedLookup(): MemoisedLookup {
  const known = new Map<string, Promise<LookupAddress[]>>()

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

  return {
    lookup,
    resolve,
    seed: (hostname, addresses) => known.set(hostname, Promise.resolve(addresses)),
  }
}
