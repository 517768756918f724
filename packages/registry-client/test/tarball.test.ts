import { createHash } from 'node:crypto'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { ToteError } from '@tote/types'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createRegistryClient, type RegistryClient, type TarballSink } from '../src/index.js'

let registry: TestRegistry
let client: RegistryClient
beforeEach(async () => {
  // Random content so the tarball does not compress to a few hundred bytes.
  const noise = Array.from({ length: 3000 }, () => Math.random().toString(36)).join('')
  registry = await createTestRegistry({
    packages: { a: { versions: { '1.0.0': { files: { 'n.txt': noise } } } } },
  })
  client = createRegistryClient({ registry: registry.url, retryMinTimeout: 5 })
})
afterEach(async () => {
  await client.close()
  await registry.close()
})

/** A sink that hashes while the body streams, as the installer's store does. */
function hashingSink(created: string[]): TarballSink<{ integrity: string; size: number }> {
  const hash = createHash('sha512')
  let size = 0
  created.push('sink')
  return {
    push(chunk) {
      hash.update(chunk)
      size += chunk.length
    },
    finish: () => ({ integrity: `sha512-${hash.digest('base64')}`, size }),
  }
}

describe('fetchTarball', () => {
  it('returns the bytes as a Buffer by default', async () => {
    const bytes = await client.fetchTarball(registry.tarballUrl('a', '1.0.0'))
    expect(Buffer.isBuffer(bytes)).toBe(true)
    expect(`sha512-${createHash('sha512').update(bytes).digest('base64')}`).toBe(
      registry.integrity('a', '1.0.0'),
    )
  })

  it('fills one buffer when the expected size is given, and copes with a wrong guess', async () => {
    const url = registry.tarballUrl('a', '1.0.0')
    const exact = await client.fetchTarball(url)
    for (const expectedSize of [exact.length, 10, exact.length * 2]) {
      expect(Buffer.compare(await client.fetchTarball(url, { expectedSize }), exact)).toBe(0)
    }
  })

  it('tells each sink the size the response announces, and holds the default result in one buffer of it', async () => {
    const url = registry.tarballUrl('a', '1.0.0')
    const sizes: (number | undefined)[] = []
    const created: string[] = []
    const result = await client.fetchTarball(url, {
      createSink: (body) => {
        sizes.push(body.size)
        return hashingSink(created)
      },
    })
    expect(sizes).toEqual([result.size])
    const bytes = await client.fetchTarball(url)
    expect(bytes.length).toBe(result.size)
    // The whole of its memory: movable to a worker thread without a copy.
    expect(bytes.buffer.byteLength).toBe(bytes.length)
  })

  it('streams into a sink, and starts a fresh sink when a reset forces a retry', async () => {
    const path = registry.tarballPath('a', '1.0.0')
    registry.fault(path, { resetAfterBytes: 1000, times: 1 })
    const created: string[] = []
    const result = await client.fetchTarball(registry.tarballUrl('a', '1.0.0'), {
      createSink: () => hashingSink(created),
    })
    expect(created).toHaveLength(2)
    expect(result.integrity).toBe(registry.integrity('a', '1.0.0'))
    expect(result.size).toBeGreaterThan(1000)
    expect(registry.requests.filter((request) => request.path === path)).toHaveLength(2)
  })

  it('asks again when the sink rejects the body with a ToteError, and gives its error with the tries', async () => {
    const path = registry.tarballPath('a', '1.0.0')
    const url = registry.tarballUrl('a', '1.0.0')
    const created: string[] = []
    // A sink that checks the digest when the body ends, as the downloader's does.
    const checking = () => {
      const sink = hashingSink(created)
      return {
        push: sink.push,
        finish() {
          const result = sink.finish()
          if (result.integrity !== registry.integrity('a', '1.0.0')) {
            throw new ToteError('EINTEGRITY', `Integrity check failed for ${url}`, {
              hint: 'check it',
              details: { actual: result.integrity },
            })
          }
          return result
        },
      }
    }
    registry.fault(path, { corrupt: true, times: 1 })
    const result = await client.fetchTarball(url, { createSink: checking })
    expect(result.integrity).toBe(registry.integrity('a', '1.0.0'))
    expect(created).toHaveLength(2)
    expect(registry.requests.filter((request) => request.path === path)).toHaveLength(2)

    registry.fault(path, { corrupt: true })
    const error = (await client
      .fetchTarball(url, { createSink: checking })
      .catch((caught: unknown) => caught)) as ToteError
    expect(error).toBeInstanceOf(ToteError)
    expect(error.code).toBe('EINTEGRITY')
    expect(error.message).toBe(`Integrity check failed for ${url} (3 tries)`)
    expect(error.hint).toBe('check it')
    expect(error.details).toMatchObject({ url, tries: 3, actual: expect.stringMatching(/^sha512-/) })
    expect(registry.requests.filter((request) => request.path === path)).toHaveLength(2 + 3)
  })

  it('does not ask again when the sink fails with another error (a bug is not a damaged body)', async () => {
    const path = registry.tarballPath('a', '1.0.0')
    const failing = () => ({
      push() {},
      finish(): never {
        throw new TypeError('a bug in the sink')
      },
    })
    const pushing = () => ({
      push(): never {
        throw new RangeError('another bug')
      },
      finish: () => 0,
    })
    await expect(
      client.fetchTarball(registry.tarballUrl('a', '1.0.0'), { createSink: failing }),
    ).rejects.toThrow(TypeError)
    await expect(
      client.fetchTarball(registry.tarballUrl('a', '1.0.0'), { createSink: pushing }),
    ).rejects.toThrow(RangeError)
    expect(registry.requests.filter((request) => request.path === path)).toHaveLength(2)
  })

  it('fails with E404 naming the URL, without retrying', async () => {
    const url = `${registry.url}a/-/a-9.9.9.tgz`
    const error = (await client.fetchTarball(url).catch((caught: unknown) => caught)) as ToteError
    expect(error.code).toBe('E404')
    expect(error.message).toContain(url)
    expect(error.details).toMatchObject({ url, status: 404, tries: 1 })
  })

  it('follows redirects, asking authHeaderFor again for each host', async () => {
    const mirror = await createTestRegistry({ packages: { a: { versions: { '1.0.0': {} } } } })
    try {
      const path = registry.tarballPath('a', '1.0.0')
      registry.fault(path, { status: 302, headers: { location: mirror.tarballUrl('a', '1.0.0') } })
      const asked: string[] = []
      const authed = createRegistryClient({
        registry: registry.url,
        authHeaderFor: (url) => {
          asked.push(url)
          return url.startsWith(registry.url) ? 'Bearer first-host-only' : undefined
        },
      })
      const bytes = await authed.fetchTarball(registry.tarballUrl('a', '1.0.0'))
      await authed.close()
      expect(`sha512-${createHash('sha512').update(bytes).digest('base64')}`).toBe(
        mirror.integrity('a', '1.0.0'),
      )
      expect(asked).toEqual([registry.tarballUrl('a', '1.0.0'), mirror.tarballUrl('a', '1.0.0')])
      expect(registry.requests[0]!.headers.authorization).toBe('Bearer first-host-only')
      expect(mirror.requests[0]!.headers.authorization).toBeUndefined()
    } finally {
      await mirror.close()
    }
  })

  it('can be aborted', async () => {
    registry.fault(registry.tarballPath('a', '1.0.0'), { delayMs: 1_000 })
    const controller = new AbortController()
    const pending = client.fetchTarball(registry.tarballUrl('a', '1.0.0'), { signal: controller.signal })
    setTimeout(() => controller.abort(new Error('cancelled')), 20)
    await expect(pending).rejects.toThrow('cancelled')
  })
})
