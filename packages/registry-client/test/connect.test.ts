import { createServer, type Server } from 'node:http'
import { connect } from 'node:net'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createLookupOnce } from '../src/http/_dns-once.js'
import { createRegistryClient } from '../src/index.js'

let registry: TestRegistry
let proxy: Server
let tunnels: string[]
beforeEach(async () => {
  registry = await createTestRegistry({ packages: { a: { versions: { '1.0.0': {} } } } })
  // A minimal forward proxy: CONNECT tunnels, recorded.
  tunnels = []
  proxy = createServer((_request, response) => response.writeHead(405).end())
  proxy.on('connect', (request, socket, head) => {
    tunnels.push(request.url ?? '')
    const [host, port] = (request.url ?? '').split(':')
    const upstream = connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(socket).pipe(upstream)
    })
    upstream.on('error', () => socket.destroy())
    socket.on('error', () => upstream.destroy())
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
})
afterEach(async () => {
  proxy.closeAllConnections()
  await new Promise((resolve) => proxy.close(resolve))
  await registry.close()
})

const proxyUrl = () => `http://127.0.0.1:${(proxy.address() as { port: number }).port}`

describe('proxies', () => {
  it('goes through the proxy when one is configured', async () => {
    const client = createRegistryClient({ registry: registry.url, proxy: proxyUrl() })
    try {
      expect((await client.getPackument('a')).name).toBe('a')
    } finally {
      await client.close()
    }
    expect(tunnels).toEqual([new URL(registry.url).host])
  })

  it('reaches noProxy hosts directly', async () => {
    const client = createRegistryClient({
      registry: registry.url,
      proxy: proxyUrl(),
      noProxy: 'example.invalid,127.0.0.1',
    })
    try {
      expect((await client.getPackument('a')).name).toBe('a')
    } finally {
      await client.close()
    }
    expect(tunnels).toEqual([])
    expect(registry.requests).toHaveLength(1)
  })
})

describe('looking hosts up once', () => {
  it('asks once per host, however many ask at the same time', async () => {
    const { resolve } = createLookupOnce()
    const first = resolve('localhost')
    expect(resolve('localhost')).toBe(first)
    const addresses = await first
    expect(addresses.length).toBeGreaterThan(0)
    expect(await resolve('127.0.0.1')).toEqual([{ address: '127.0.0.1', family: 4 }])
  })

  it('answers in both shapes net.connect asks for, and for the family asked', async () => {
    const { lookup, resolve } = createLookupOnce()
    const known = await resolve('localhost')
    const all = await new Promise((done) =>
      lookup('localhost', { all: true }, (_error, addresses) => done(addresses)),
    )
    expect(all).toEqual(known)
    const family = known[0]!.family
    const one = await new Promise((done) =>
      lookup('localhost', { family }, (_error, address, addressFamily) => done([address, addressFamily])),
    )
    expect(one).toEqual([known.find((entry) => entry.family === family)!.address, family])
    const missing = await new Promise<NodeJS.ErrnoException | null>((done) =>
      lookup('127.0.0.1', { family: 6 }, (error) => done(error)),
    )
    expect(missing?.code).toBe('ENOTFOUND')
  })
})
