import { createHash } from 'node:crypto'
import { request } from 'node:http'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTestRegistry, type TestRegistry } from '../src/index.js'
import { nodeGet, packumentJson, rawGet } from './_http.js'

let registry: TestRegistry
beforeEach(async () => {
  registry = await createTestRegistry({
    packages: {
      a: { versions: { '1.0.0': { files: { 'big.txt': 'x'.repeat(50_000) } } } },
      '@s/x': { versions: { '1.0.0': {} } },
    },
  })
})
afterEach(async () => registry.close())

const sha512 = (bytes: Uint8Array) => 'sha512-' + createHash('sha512').update(bytes).digest('base64')

async function status(path: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(registry.url + path.slice(1), { headers })
  await response.arrayBuffer()
  return response.status
}

describe('faults', () => {
  it('status: responds with the status, extra headers, and an npm-like JSON error or the given body', async () => {
    registry.fault(registry.packumentPath('a'), { status: 503, headers: { 'retry-after': '1' } })
    const response = await fetch(registry.url + 'a')
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('1')
    expect(await response.json()).toEqual({ error: 'Service Unavailable' })

    registry.clearFaults()
    registry.fault('/a', { status: 500, body: 'boom' })
    const custom = await fetch(registry.url + 'a')
    expect([custom.status, await custom.text()]).toEqual([500, 'boom'])
  })

  it('headers alone are added to the normal response', async () => {
    registry.fault('/a', { headers: { 'x-test': 'yes', 'cache-control': 'no-store' } })
    const response = await fetch(registry.url + 'a')
    expect(response.status).toBe(200)
    expect(response.headers.get('x-test')).toBe('yes')
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(((await response.json()) as { name: string }).name).toBe('a')
  })

  it('delayMs: holds back the whole response, headers included', async () => {
    registry.fault('/a', { delayMs: 2_000 })
    let delayedHeadersSeen = false
    const delayed = new Promise<number>((resolve, reject) => {
      request(registry.url + 'a', { agent: false }, (res) => {
        delayedHeadersSeen = true
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      })
        .on('error', reject)
        .end()
    })
    // Once the delayed request has arrived, an undelayed one completes while the first still waits.
    while (registry.requests.length === 0) await new Promise((resolve) => setImmediate(resolve))
    expect(await status('/@s%2fx')).toBe(200)
    expect(delayedHeadersSeen).toBe(false)
    expect(await delayed).toBe(200)
  })

  it('resetAfterBytes: sends headers and N body bytes, then resets the connection', async () => {
    registry.fault(registry.tarballPath('a', '1.0.0'), { resetAfterBytes: 100 })
    const raw = await rawGet(registry.url, registry.tarballPath('a', '1.0.0'))
    expect(raw.status).toBe(200)
    expect(Number(raw.headers['content-length'])).toBeGreaterThan(100)
    expect(raw.body.length).toBe(100)
    expect(raw.ending).toBe('ECONNRESET')

    const viaNode = await nodeGet(registry.tarballUrl('a', '1.0.0'))
    expect(viaNode.body.length).toBe(100)
    expect(viaNode.error).toBeDefined()

    const response = await fetch(registry.tarballUrl('a', '1.0.0'))
    expect(response.status).toBe(200)
    await expect(response.arrayBuffer()).rejects.toThrow()
  })

  it('truncateAfterBytes: advertises the full length, sends N bytes, then ends the connection', async () => {
    const full = await nodeGet(registry.url + 'a')
    registry.fault('/a', { truncateAfterBytes: 10 })
    const raw = await rawGet(registry.url, '/a')
    expect(raw.status).toBe(200)
    expect(Number(raw.headers['content-length'])).toBe(full.body.length)
    expect(raw.body).toEqual(full.body.subarray(0, 10))
    expect(raw.ending).toBe('end')
    await expect((await fetch(registry.url + 'a')).text()).rejects.toThrow()
  })

  it('stallAfterBytes: sends headers and N body bytes, then nothing until stallMs has passed', async () => {
    const path = registry.tarballPath('a', '1.0.0')
    const intact = await nodeGet(registry.tarballUrl('a', '1.0.0'))
    registry.fault(path, { stallAfterBytes: 100, stallMs: 50, times: 1 })
    const resumed = await nodeGet(registry.tarballUrl('a', '1.0.0'))
    expect(resumed.error).toBeUndefined()
    expect(resumed.body.equals(intact.body)).toBe(true)

    // Without stallMs the rest never comes: other requests are answered meanwhile.
    registry.fault(path, { stallAfterBytes: 100 })
    let received = 0
    const stalled = new Promise<void>((resolve, reject) => {
      request(registry.tarballUrl('a', '1.0.0'), { agent: false }, (res) => {
        expect(Number(res.headers['content-length'])).toBe(intact.body.length)
        res.on('data', (chunk: Buffer) => {
          received += chunk.length
          if (received >= 100) resolve()
        })
        res.on('error', () => {})
      })
        .on('error', reject)
        .end()
    })
    await stalled
    expect(await status('/@s%2fx')).toBe(200)
    expect(await status('/a')).toBe(200)
    expect(received).toBe(100)
  })

  it('corrupt: same length, different bytes, so the integrity no longer matches', async () => {
    const path = registry.tarballPath('a', '1.0.0')
    registry.fault(path, { corrupt: true })
    const corrupted = await nodeGet(registry.tarballUrl('a', '1.0.0'))
    registry.clearFaults()
    const intact = await nodeGet(registry.tarballUrl('a', '1.0.0'))
    expect(corrupted.status).toBe(200)
    expect(corrupted.body.length).toBe(intact.body.length)
    expect(corrupted.body.equals(intact.body)).toBe(false)
    expect(sha512(intact.body)).toBe(registry.integrity('a', '1.0.0'))
    expect(sha512(corrupted.body)).not.toBe(registry.integrity('a', '1.0.0'))
  })

  it('wrongIntegrity: the packument advertises hashes that the served tarball does not have', async () => {
    registry.fault(registry.packumentPath('a'), { wrongIntegrity: true })
    const doc = await packumentJson(await fetch(registry.url + 'a'))
    const tarball = Buffer.from(await (await fetch(registry.tarballUrl('a', '1.0.0'))).arrayBuffer())
    const dist = doc.versions['1.0.0']!.dist
    expect(dist.integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/)
    expect(dist.shasum).toMatch(/^[0-9a-f]{40}$/)
    expect(dist.integrity).not.toBe(sha512(tarball))
    expect(dist.shasum).not.toBe(createHash('sha1').update(tarball).digest('hex'))
    expect(sha512(tarball)).toBe(registry.integrity('a', '1.0.0'))
    // Abbreviated documents too; and the cached correct document is not affected.
    const abbreviated = await packumentJson(
      await fetch(registry.url + 'a', { headers: { accept: 'application/vnd.npm.install-v1+json' } }),
    )
    expect(abbreviated.versions['1.0.0']!.dist.integrity).toBe(dist.integrity)
    registry.clearFaults()
    const fixed = await packumentJson(await fetch(registry.url + 'a'))
    expect(fixed.versions['1.0.0']!.dist.integrity).toBe(sha512(tarball))
  })

  it('requireToken: 401 without the bearer token or with a wrong one', async () => {
    registry.fault(/\.tgz$/, { requireToken: 'secret' })
    const denied = await fetch(registry.tarballUrl('a', '1.0.0'))
    expect(denied.status).toBe(401)
    expect(denied.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expect(await denied.json()).toEqual({ error: 'unauthorized' })
    expect(await status(registry.tarballPath('a', '1.0.0'), { authorization: 'Bearer wrong' })).toBe(401)
    expect(await status(registry.tarballPath('a', '1.0.0'), { authorization: 'Bearer secret' })).toBe(200)
    expect(await status('/a')).toBe(200)
  })

  it('times: applies to the first N matching requests, then behaves normally', async () => {
    registry.fault('/a', { status: 500, times: 2 })
    expect([await status('/a'), await status('/@s%2fx'), await status('/a'), await status('/a')]).toEqual([
      500, 200, 500, 200,
    ])
  })

  it('several faults on one route apply one after another as their times run out', async () => {
    registry.fault('/a', { status: 500, times: 1 })
    registry.fault('/a', { status: 503, times: 1 })
    registry.fault(/^\/a$/, { status: 429 })
    expect([await status('/a'), await status('/a'), await status('/a'), await status('/a')]).toEqual([
      500, 503, 429, 429,
    ])
    registry.clearFaults()
    expect(await status('/a')).toBe(200)
  })

  it('matches decoded paths: a scoped route matches both path styles', async () => {
    registry.fault(registry.packumentPath('@s/x'), { status: 418 })
    expect(await status('/@s%2fx')).toBe(418)
    expect(await status('/@s/x')).toBe(418)
    registry.clearFaults()
    registry.fault(/^\/@s\/x$/, { status: 502 })
    expect(await status('/@s%2fx')).toBe(502)
    expect(await status('/a')).toBe(200)
  })
})

describe('registry token', () => {
  it('answers 401 with www-authenticate to every request without the right bearer token', async () => {
    const secured = await createTestRegistry({ token: 't0k', packages: { a: { versions: { '1.0.0': {} } } } })
    try {
      for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: 't0k' }] as Record<
        string,
        string
      >[]) {
        for (const path of [secured.packumentPath('a'), secured.tarballPath('a', '1.0.0')]) {
          const response = await fetch(secured.url + path.slice(1), { headers })
          expect(response.status).toBe(401)
          expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/)
          expect(await response.json()).toEqual({ error: 'unauthorized' })
        }
      }
      const ok = { authorization: 'Bearer t0k' }
      expect((await fetch(secured.url + 'a', { headers: ok })).status).toBe(200)
      expect((await fetch(secured.tarballUrl('a', '1.0.0'), { headers: ok })).status).toBe(200)
      expect(secured.requests).toHaveLength(8)
    } finally {
      await secured.close()
    }
  })
})
