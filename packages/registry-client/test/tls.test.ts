import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { rootCertificates } from 'node:tls'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createRegistryClient, type RegistryClient, type RegistryClientOptions } from '../src/index.js'

// A registry over HTTPS whose certificate is signed by a test authority that Node does not trust.
const tlsFile = (name: string) => new URL(`./tls/${name}`, import.meta.url)
const authority = tlsFile('ca.pem')

// What TLS says of a certificate whose authority is not trusted (not retried: it will not change).
const untrusted = { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }

let server: Server
let registry: string
let client: RegistryClient | undefined

beforeEach(async () => {
  server = createServer(
    { key: readFileSync(tlsFile('server.key')), cert: readFileSync(tlsFile('server.pem')) },
    (request, response) => {
      if (request.url !== '/a') {
        response.writeHead(404).end('{}')
        return
      }
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(
        JSON.stringify({
          name: 'a',
          'dist-tags': { latest: '1.0.0' },
          versions: {
            '1.0.0': { name: 'a', version: '1.0.0', dist: { tarball: 'https://127.0.0.1/a-1.0.0.tgz' } },
          },
        }),
      )
    },
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  registry = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`
})

afterEach(async () => {
  await client?.close()
  client = undefined
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

function open(options: Partial<RegistryClientOptions> = {}): RegistryClient {
  client = createRegistryClient({ registry, retries: 0, ...options })
  return client
}

describe('certificate authorities', () => {
  it('trusts the authorities of extraCaFile besides Node’s own (NODE_EXTRA_CA_CERTS, read on first connect)', async () => {
    const packument = await open({ extraCaFile: authority.pathname }).getPackument('a')
    expect([...packument.versions.keys()]).toEqual(['1.0.0'])
  })

  it('refuses the server without it, and with a file that cannot be read (as Node does)', async () => {
    await expect(open().getPackument('a')).rejects.toMatchObject(untrusted)
    await client?.close()
    const missing = open({ extraCaFile: new URL('./tls/missing.pem', import.meta.url).pathname })
    await expect(missing.getPackument('a')).rejects.toMatchObject(untrusted)
  })

  it('leaves extraCaFile out when `ca` is given, as Node leaves NODE_EXTRA_CA_CERTS out', async () => {
    const withCa = open({ ca: [rootCertificates[0]!], extraCaFile: authority.pathname })
    await expect(withCa.getPackument('a')).rejects.toMatchObject(untrusted)
    await client?.close()
    const packument = await open({ ca: [readFileSync(authority, 'utf8')] }).getPackument('a')
    expect([...packument.versions.keys()]).toEqual(['1.0.0'])
  })
})
