import { createHash } from 'node:crypto'
import { createRegistryClient, type RegistryClient } from '@tote/registry-client'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import type { ToteError } from '@tote/types'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createDownloader, type DownloaderEvent } from '../src/index.js'

let registry: TestRegistry
let client: RegistryClient

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: { pkg: { versions: { '1.0.0': { files: { 'index.js': 'x'.repeat(50_000) } } } } },
  })
  client = createRegistryClient({
    registry: registry.url,
    retries: 2,
    retryMinTimeout: 5,
    retryMaxTimeout: 20,
  })
})
afterAll(async () => {
  await client.close()
  await registry.close()
})
afterEach(() => registry.clearFaults())

const requestsTo = (path: string) => registry.requests.filter((request) => request.path === path).length

const request = () => ({
  name: 'pkg',
  version: '1.0.0',
  tarballUrl: registry.tarballUrl('pkg', '1.0.0'),
  integrity: registry.integrity('pkg', '1.0.0'),
})

describe('createDownloader', () => {
  it('returns the verified bytes and reports start and end', async () => {
    const events: DownloaderEvent[] = []
    const downloader = createDownloader(client, { onEvent: (event) => events.push(event) })
    const { data, integrity } = await downloader.download(request())
    expect(`sha512-${createHash('sha512').update(data).digest('base64')}`).toBe(
      registry.integrity('pkg', '1.0.0'),
    )
    expect(integrity).toBe(registry.integrity('pkg', '1.0.0'))
    expect(events.map((event) => event.type)).toEqual(['download-start', 'download-end'])
  })

  it('takes a body of announced size into one buffer of its own (movable to a worker, held once)', async () => {
    const { data } = await createDownloader(client).download(request())
    expect(data.byteOffset).toBe(0)
    expect(data.buffer.byteLength).toBe(data.length)
  })

  it('fails with EINTEGRITY naming the URL, the expected and the actual digest', async () => {
    const downloader = createDownloader(client)
    const wrong = `sha512-${createHash('sha512').update('other').digest('base64')}`
    const error = await downloader.download({ ...request(), integrity: wrong }).catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: 'EINTEGRITY',
      details: { url: request().tarballUrl, expected: wrong, actual: registry.integrity('pkg', '1.0.0') },
    })
    expect((error as Error).message).toContain(request().tarballUrl)
  })

  it('names a tarball URL without the token in its query', async () => {
    const downloader = createDownloader(client)
    const wrong = `sha512-${createHash('sha512').update('other').digest('base64')}`
    const tarballUrl = `${request().tarballUrl}?token=s3cret-token`
    const error = (await downloader.download({ ...request(), tarballUrl, integrity: wrong }).then(
      () => undefined,
      (e: unknown) => e,
    )) as ToteError
    expect(error).toMatchObject({ code: 'EINTEGRITY', details: { url: `${request().tarballUrl}?token=***` } })
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain('s3cret')
  })

  it('downloads again a body corrupted on its way: a failed check is a fault of that try', async () => {
    const path = registry.tarballPath('pkg', '1.0.0')
    const before = requestsTo(path)
    registry.fault(path, { corrupt: true, times: 1 })
    const { data, integrity } = await createDownloader(client).download(request())
    expect(integrity).toBe(registry.integrity('pkg', '1.0.0'))
    expect(`sha512-${createHash('sha512').update(data).digest('base64')}`).toBe(integrity)
    expect(requestsTo(path) - before).toBe(2)
  })

  it('rejects a body that stays corrupted with EINTEGRITY after every try, and counts them', async () => {
    const path = registry.tarballPath('pkg', '1.0.0')
    const before = requestsTo(path)
    registry.fault(path, { corrupt: true })
    const error = await createDownloader(client)
      .download(request())
      .catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: 'EINTEGRITY',
      message: expect.stringMatching(/ \(3 tries\)$/),
      details: { url: request().tarballUrl, expected: request().integrity, tries: 3 },
    })
    expect(requestsTo(path) - before).toBe(3)
  })

  it('hashes each attempt afresh: a reset mid-body, then a good retry, verifies', async () => {
    registry.fault(registry.tarballPath('pkg', '1.0.0'), { resetAfterBytes: 1000, times: 1 })
    const { integrity } = await createDownloader(client).download(request())
    expect(integrity).toBe(registry.integrity('pkg', '1.0.0'))
  })

  it('verifies against sha1 when the lockfile has only a sha1 (old packages)', async () => {
    const sha1 = Buffer.from(registry.shasum('pkg', '1.0.0'), 'hex').toString('base64')
    const { integrity } = await createDownloader(client).download({ ...request(), integrity: `sha1-${sha1}` })
    expect(integrity).toBe(`sha1-${sha1}`)
  })

  it('computes a sha512 when no integrity is known', async () => {
    const { integrity } = await createDownloader(client).download({ ...request(), integrity: '' })
    expect(integrity).toBe(registry.integrity('pkg', '1.0.0'))
  })
})
