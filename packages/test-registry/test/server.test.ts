import { Agent, request } from 'node:http'
import { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createTestRegistry, type TestRegistry, type VersionSpec } from '../src/index.js'
import { rawGet } from './_http.js'

let registry: TestRegistry
afterEach(async () => registry?.close())

/** GET over `agent`, resolving with the status, body and the socket the response came on. */
function get(url: string, agent: Agent): Promise<{ status: number; body: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      // Captured now: the agent detaches the socket from the response once it ends.
      const socket = res.socket
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, socket }))
    })
      .on('error', reject)
      .end()
  })
}

describe('server', () => {
  it('listens on a loopback URL that ends with a slash', async () => {
    registry = await createTestRegistry()
    expect(registry.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    expect((await fetch(registry.url + 'anything')).status).toBe(404)
  })

  it('records every request in order, with method, path as sent and headers', async () => {
    registry = await createTestRegistry({ packages: { a: { versions: { '1.0.0': {} } } } })
    registry.fault('/a', { status: 500, times: 1 })
    await (await fetch(registry.url + 'a', { headers: { 'x-trace': 'one' } })).arrayBuffer()
    await (await fetch(registry.url + '@s%2fx?write=true')).arrayBuffer()
    await (await fetch(registry.tarballUrl('a', '1.0.0'), { method: 'HEAD' })).arrayBuffer()
    expect(registry.requests.map((r) => [r.method, r.path])).toEqual([
      ['GET', '/a'],
      ['GET', '/@s%2fx?write=true'],
      ['HEAD', '/a/-/a-1.0.0.tgz'],
    ])
    expect(registry.requests[0]!.headers['x-trace']).toBe('one')
    expect(registry.requests[0]!.headers.host).toBe(new URL(registry.url).host)
  })

  it('answers HEAD with headers and no body', async () => {
    registry = await createTestRegistry({ packages: { a: { versions: { '1.0.0': {} } } } })
    const head = await fetch(registry.tarballUrl('a', '1.0.0'), { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0)
    expect((await head.arrayBuffer()).byteLength).toBe(0)
  })

  it('answers ping, rejects other methods with 405 and malformed escapes with 400', async () => {
    registry = await createTestRegistry({ packages: { a: { versions: { '1.0.0': {} } } } })
    const ping = await fetch(registry.url + '-/ping?write=false')
    expect([ping.status, await ping.json()]).toEqual([200, {}])
    const put = await fetch(registry.url + 'a', { method: 'PUT', body: '{}' })
    expect([put.status, put.headers.get('allow')]).toEqual([405, 'GET, HEAD'])
    expect((await rawGet(registry.url, '/%E0%A4%A')).status).toBe(400)
  })

  it('serves packages added after start', async () => {
    registry = await createTestRegistry()
    expect((await fetch(registry.url + 'late')).status).toBe(404)
    registry.addPackages({ late: { versions: { '1.0.0': {} } } })
    const response = await fetch(registry.url + 'late')
    expect(response.status).toBe(200)
    expect(((await response.json()) as { name: string }).name).toBe('late')
    expect((await fetch(registry.tarballUrl('late', '1.0.0'))).status).toBe(200)
  })

  it('keeps the packages it was given as they were when added', async () => {
    const versions: Record<string, VersionSpec> = { '1.0.0': {} }
    registry = await createTestRegistry({ packages: { a: { versions } } })
    versions['2.0.0'] = {}
    const doc = (await (await fetch(registry.url + 'a')).json()) as { versions: Record<string, unknown> }
    expect(Object.keys(doc.versions)).toEqual(['1.0.0'])
  })

  it('answers 500 with the reason when a version spec cannot be packed', async () => {
    const broken = { files: { 'x.js': 42 } } as unknown as VersionSpec
    registry = await createTestRegistry({ packages: { broken: { versions: { '1.0.0': broken } } } })
    const response = await fetch(registry.url + 'broken')
    expect(response.status).toBe(500)
    expect(((await response.json()) as { error: string }).error).toMatch(/TypeError/)
  })

  it('reuses keep-alive connections', async () => {
    registry = await createTestRegistry({ packages: { a: { versions: { '1.0.0': {} } } } })
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      const first = await get(registry.url + 'a', agent)
      const second = await get(registry.tarballUrl('a', '1.0.0'), agent)
      const third = await get(registry.url + 'missing', agent)
      expect([first.status, second.status, third.status]).toEqual([200, 200, 404])
      expect(first.socket).toBeInstanceOf(Socket)
      expect(second.socket).toBe(first.socket)
      expect(third.socket).toBe(first.socket)
    } finally {
      agent.destroy()
    }
  })

  it('close() destroys idle keep-alive sockets', async () => {
    registry = await createTestRegistry({ packages: { a: { versions: { '1.0.0': {} } } } })
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      const { socket } = await get(registry.url + 'a', agent)
      expect(socket.destroyed).toBe(false)
      const closedByServer = new Promise<void>((resolve) => socket.once('close', () => resolve()))
      await registry.close()
      await closedByServer
      await expect(fetch(registry.url + 'a')).rejects.toThrow()
    } finally {
      agent.destroy()
    }
  })

  it('close() ends requests that a delay fault holds, and cancels the delay', async () => {
    registry = await createTestRegistry({ packages: { a: { versions: { '1.0.0': {} } } } })
    registry.fault('/a', { delayMs: 600_000 })
    const pending = fetch(registry.url + 'a')
    while (registry.requests.length === 0) await new Promise((resolve) => setImmediate(resolve))
    await registry.close()
    await expect(pending).rejects.toThrow()
  })
})
