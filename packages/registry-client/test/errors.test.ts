import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { ToteError } from '@tote/types'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createRegistryClient, type RegistryClient, type RegistryEvent } from '../src/index.js'

let registry: TestRegistry
let client: RegistryClient | undefined
let events: RegistryEvent[]
beforeEach(async () => {
  events = []
  registry = await createTestRegistry({
    packages: { a: { versions: { '1.0.0': { files: { 'big.txt': 'x'.repeat(40_000) } } } } },
  })
})
afterEach(async () => {
  await client?.close()
  client = undefined
  await registry.close()
})

function open(options: Partial<Parameters<typeof createRegistryClient>[0]> = {}): RegistryClient {
  client = createRegistryClient({
    registry: registry.url,
    retryMinTimeout: 5,
    retryMaxTimeout: 50,
    onEvent: (event) => events.push(event),
    ...options,
  })
  return client
}

async function failure(promise: Promise<unknown>): Promise<ToteError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(Error)
  return error as ToteError
}

const requestsTo = (path: string) => registry.requests.filter((request) => request.path === path).length
const retries = () => events.filter((event) => event.type === 'retry')

const version = '{"name":"a","version":"1.0.0","dist":{"tarball":"http://127.0.0.1:1/a.tgz"}}'
const DAMAGED = ['unterminated', 'trailing', 'unclosed']

/**
 * Serves, under names starting with `prefix`, three damaged documents and one that is not an
 * object; each document opens with `lead` (a member, to make it large) when given.
 */
function serveDamaged(prefix: string, lead?: string): void {
  const open = lead === undefined ? '{' : `{${lead},`
  const bodies = [
    `${open}"name":"a","versions":{"1.0.0":{"dist":{"tarball":"x}}},"time":{}}`,
    `${open}"name":"a","versions":{"1.0.0":${version}},"time":{}} x`,
    `${open}"name":"a","versions":{"1.0.0":${version}},"time":{"modified":"2020"`,
  ]
  for (const [index, name] of DAMAGED.entries()) {
    registry.fault(`/${prefix}${name}`, { status: 200, body: bodies[index] })
  }
  const array = lead === undefined ? `[${version}]` : `[${version},{${lead}}]`
  registry.fault(`/${prefix}array`, { status: 200, body: array })
}

/** What serveDamaged's documents give: EBADJSON, with JSON.parse's error or "not a package document". */
async function expectDamagedReported(c: RegistryClient, prefix: string): Promise<void> {
  for (const name of DAMAGED) {
    const error = await failure(c.getPackument(`${prefix}${name}`))
    expect(error.code).toBe('EBADJSON')
    expect(error.message).toContain('Invalid JSON')
    expect(error.cause).toBeInstanceOf(SyntaxError)
  }
  const error = await failure(c.getPackument(`${prefix}array`))
  expect(error.code).toBe('EBADJSON')
  expect(error.message).toContain('not a package document')
}

describe('HTTP errors', () => {
  it('E404 names the package and says what to check', async () => {
    const error = await failure(open().getPackument('no-such-package'))
    expect(error.code).toBe('E404')
    expect(error.message).toContain("'no-such-package'")
    expect(error.hint).toMatch(/name/)
    expect(error.details).toMatchObject({ url: `${registry.url}no-such-package`, status: 404, tries: 1 })
    expect(requestsTo('/no-such-package')).toBe(1)
  })

  it('EAUTH for 401 and 403, with a hint about the token and without the token', async () => {
    const locked = await createTestRegistry({
      token: 'secret-token',
      packages: { a: { versions: { '1.0.0': {} } } },
    })
    try {
      const error = await failure(
        open({ registry: locked.url, authHeaderFor: () => 'Bearer wrong-token' }).getPackument('a'),
      )
      expect(error.code).toBe('EAUTH')
      expect(error.details).toMatchObject({ status: 401, tries: 1 })
      expect(error.hint).toContain(`//${new URL(locked.url).host}/:_authToken`)
      expect(
        JSON.stringify({ message: error.message, hint: error.hint, details: error.details }),
      ).not.toContain('wrong-token')
    } finally {
      await locked.close()
    }
    registry.fault('/a', { status: 403 })
    expect((await failure(open().getPackument('a'))).code).toBe('EAUTH')
  })

  it('sends a token only to the registry it belongs to', async () => {
    const privateRegistry = await createTestRegistry({
      token: 'private-token',
      packages: { '@corp/lib': { versions: { '1.0.0': {} } } },
    })
    try {
      const c = open({
        registryFor: (name) => (name.startsWith('@corp/') ? privateRegistry.url : registry.url),
        authHeaderFor: (url) => (url.startsWith(privateRegistry.url) ? 'Bearer private-token' : undefined),
      })
      const lib = await c.getPackument('@corp/lib')
      await c.getPackument('a')
      await c.fetchTarball(lib.versions.get('1.0.0')!.dist.tarball)
      await c.fetchTarball(registry.tarballUrl('a', '1.0.0'))
      expect(privateRegistry.requests.map((request) => request.headers.authorization)).toEqual([
        'Bearer private-token',
        'Bearer private-token',
      ])
      expect(registry.requests).toHaveLength(2)
      expect(registry.requests.map((request) => request.headers.authorization)).toEqual([
        undefined,
        undefined,
      ])
    } finally {
      await privateRegistry.close()
    }
  })

  it.each([500, 503, 429])('retries %i, then succeeds', async (status) => {
    registry.fault('/a', { status, times: 2 })
    const packument = await open().getPackument('a')
    expect(packument.name).toBe('a')
    expect(requestsTo('/a')).toBe(3)
    expect(retries().map((event) => (event as { attempt: number }).attempt)).toEqual([1, 2])
  })

  it('honours Retry-After (seconds or a date), capped at retryMaxTimeout', async () => {
    const delays = () => retries().map((event) => (event as { delay: number }).delay)
    // Seconds, above the cap.
    registry.fault('/a', { status: 429, headers: { 'retry-after': '1' }, times: 1 })
    await open({ retryMinTimeout: 1, retryMaxTimeout: 80 }).getPackument('a')
    expect(retries()).toEqual([
      { type: 'retry', url: `${registry.url}a`, attempt: 1, reason: 'HTTP 429', delay: 80 },
    ])
    // An HTTP date an hour ahead, also capped.
    events = []
    registry.fault('/a', {
      status: 503,
      headers: { 'retry-after': new Date(Date.now() + 3_600_000).toUTCString() },
      times: 1,
    })
    await open({ retryMinTimeout: 1, retryMaxTimeout: 60 }).getPackument('a')
    expect(delays()).toEqual([60])
    // Zero seconds beats a long backoff.
    events = []
    registry.fault('/a', { status: 429, headers: { 'retry-after': '0' }, times: 1 })
    await open({ retryMinTimeout: 10_000, retryMaxTimeout: 20_000 }).getPackument('a')
    expect(delays()).toEqual([0])
  })

  it('gives up with EHTTP after the retries, with status, URL and tries', async () => {
    registry.fault('/a', { status: 502 })
    const error = await failure(open({ retries: 3 }).getPackument('a'))
    expect(error.code).toBe('EHTTP')
    expect(error.message).toContain('502')
    expect(error.message).toContain(`${registry.url}a`)
    expect(error.details).toMatchObject({ url: `${registry.url}a`, status: 502, tries: 4 })
    expect(requestsTo('/a')).toBe(4)
  })

  it.each([404, 400])('does not retry %i', async (status) => {
    registry.fault('/a', { status })
    const error = await failure(open().getPackument('a'))
    expect(error.code).toBe(status === 404 ? 'E404' : 'EHTTP')
    expect(requestsTo('/a')).toBe(1)
    expect(retries()).toEqual([])
  })

  it('asks again for a body that is not JSON, and reports EBADJSON with the tries when it stays so', async () => {
    registry.fault('/a', { status: 200, body: '{"name": "a", "versions": {', times: 1 })
    expect((await open().getPackument('a')).versions.get('1.0.0')).toBeDefined()
    expect(requestsTo('/a')).toBe(2)
    // asked again at once: the registry answered, whole
    expect(retries()).toEqual([
      { type: 'retry', url: `${registry.url}a`, attempt: 1, reason: 'EBADJSON', delay: 0 },
    ])

    registry.fault('/a', { status: 200, body: '{"name": "a", "versions": {' })
    const error = await failure(open({ retries: 3 }).getPackument('a'))
    expect(error.code).toBe('EBADJSON')
    expect(error.message).toBe(
      `Invalid JSON in the registry's answer for 'a' from ${registry.url}a (4 tries)`,
    )
    expect(error.cause).toBeInstanceOf(SyntaxError)
    expect(error.details).toMatchObject({ url: `${registry.url}a`, status: 200, tries: 4, packageName: 'a' })
    expect(requestsTo('/a')).toBe(2 + 4)
  })

  it('does not ask again for a document in an encoding it cannot read', async () => {
    registry.fault('/a', { headers: { 'content-encoding': 'br' } })
    const error = await failure(open().getPackument('a'))
    expect(error.code).toBe('EHTTP')
    expect(error.message).toBe("Unsupported content-encoding 'br'")
    expect(requestsTo('/a')).toBe(1)
    expect(retries()).toEqual([])
  })

  it('reports EBADJSON for a damaged version, trailing bytes, and a document that is not an object', async () => {
    // Versions are parsed when first read: a damaged one fails then, naming itself.
    registry.fault('/damaged', {
      status: 200,
      body: `{"name":"damaged","versions":{"1.0.0":{"dist":{"tarball":nope}},"2.0.0":${version}},"time":{}}`,
    })
    const damaged = await open().getPackument('damaged')
    expect(damaged.versions.get('2.0.0')?.version).toBe('1.0.0')
    const versionError = (() => {
      try {
        return damaged.versions.get('1.0.0')
      } catch (caught) {
        return caught as ToteError
      }
    })() as ToteError
    expect(versionError.code).toBe('EBADJSON')
    expect(versionError.message).toBe("Invalid JSON in version 1.0.0 of 'damaged'")
    expect(versionError.cause).toBeInstanceOf(SyntaxError)
    serveDamaged('')
    await expectDamagedReported(open(), '')
  })

  it('reports the same for documents of 1 MiB or more, which are compacted while they arrive', async () => {
    const readme = `"readme":"${'x'.repeat(1.2 * 2 ** 20)}"`
    serveDamaged('big-', readme)
    registry.fault('/big', { status: 200, body: `{${readme},"name":"big","versions":{"1.0.0":${version}}}` })
    const c = open()
    await expectDamagedReported(c, 'big-')
    // each asked for 1 + retries times, not more: the tries after the first keep the bytes to say what is wrong
    for (const name of [...DAMAGED, 'array']) expect(requestsTo(`/big-${name}`)).toBe(3)
    // a sound one is read as any other
    expect((await c.getPackument('big')).versions.get('1.0.0')?.dist.tarball).toBe('http://127.0.0.1:1/a.tgz')
    expect(requestsTo('/big')).toBe(1)
  })

  it('asks again for a large document damaged on its way, which then reads as any other', async () => {
    const readme = `"readme":"${'x'.repeat(1.2 * 2 ** 20)}"`
    const sound = `{${readme},"name":"big","versions":{"1.0.0":${version}}}`
    registry.fault('/big', { status: 200, body: sound.slice(0, -2), times: 1 })
    registry.fault('/big', { status: 200, body: sound })
    expect((await open().getPackument('big')).versions.get('1.0.0')?.version).toBe('1.0.0')
    expect(requestsTo('/big')).toBe(2)
    expect(retries()).toMatchObject([{ attempt: 1, reason: 'EBADJSON' }])
  })
})

describe('network errors', () => {
  it('retries a connection reset mid-body, then succeeds', async () => {
    registry.fault('/a', { resetAfterBytes: 100, times: 1 })
    const packument = await open().getPackument('a')
    expect(packument.versions.keys()).toEqual(['1.0.0'])
    expect(requestsTo('/a')).toBe(2)
    expect(retries()).toHaveLength(1)
    expect(retries()[0]).toMatchObject({ attempt: 1, reason: expect.stringMatching(/^reset/) })
  })

  it("fails with ENETWORK after every try, with URL, tries and the socket's error name", async () => {
    registry.fault('/a', { resetAfterBytes: 10 })
    const error = await failure(open({ retries: 2 }).getPackument('a'))
    expect(error.code).toBe('ENETWORK')
    expect(error.message).toContain(`Connection lost fetching ${registry.url}a after 3 tries`)
    expect(error.details).toMatchObject({ url: `${registry.url}a`, tries: 3 })
    // The socket's own name is a detail, never tote's code.
    expect(error.details.reason).toMatch(/^(ECONNRESET|UND_ERR_SOCKET)$/)
    expect(error.message).toMatch(new RegExp(`after 3 tries \\(.*${error.details.reason}`))
    expect(requestsTo('/a')).toBe(3)
  })

  it('detects a body shorter than its content-length and retries', async () => {
    const tarball = registry.tarballPath('a', '1.0.0')
    registry.fault(tarball, { truncateAfterBytes: 200, times: 1 })
    registry.fault('/a', { truncateAfterBytes: 50, times: 1 })
    const c = open()
    expect((await c.getPackument('a')).name).toBe('a')
    const bytes = await c.fetchTarball(registry.tarballUrl('a', '1.0.0'))
    expect(bytes.length).toBeGreaterThan(200)
    expect(requestsTo('/a')).toBe(2)
    expect(requestsTo(tarball)).toBe(2)
    expect(retries()).toHaveLength(2)
  })

  it('gives up on a body that stalls after its headers after readTimeout, on each of 1 + retries tries', async () => {
    const tarball = registry.tarballPath('a', '1.0.0')
    registry.fault(tarball, { stallAfterBytes: 10 })
    const error = await failure(
      open({ readTimeout: 100, retries: 2 }).fetchTarball(registry.tarballUrl('a', '1.0.0')),
    )
    expect(error.code).toBe('ETIMEOUT')
    expect(error.message).toContain(`${registry.tarballUrl('a', '1.0.0')} after 3 tries`)
    expect(error.details).toMatchObject({
      url: registry.tarballUrl('a', '1.0.0'),
      tries: 3,
      reason: 'UND_ERR_BODY_TIMEOUT',
    })
    expect(requestsTo(tarball)).toBe(3)
    expect(retries()).toMatchObject([
      { attempt: 1, reason: expect.stringMatching(/^timeout/) },
      { attempt: 2, reason: expect.stringMatching(/^timeout/) },
    ])
    // A stall shorter than readTimeout is only slow.
    registry.clearFaults()
    registry.fault(tarball, { stallAfterBytes: 10, stallMs: 20 })
    const bytes = await open({ readTimeout: 2_000, retries: 0 }).fetchTarball(
      registry.tarballUrl('a', '1.0.0'),
    )
    expect(`sha512-${createHash('sha512').update(bytes).digest('base64')}`).toBe(
      registry.integrity('a', '1.0.0'),
    )
  })

  it("waits npm's backoff between tries: retryMinTimeout × retryFactor^(n−1), capped by retryMaxTimeout", async () => {
    registry.fault('/a', { status: 503 })
    await failure(
      open({ retries: 4, retryMinTimeout: 4, retryFactor: 3, retryMaxTimeout: 50 }).getPackument('a'),
    )
    const delays = retries().map((event) => (event as { delay: number }).delay)
    expect(delays).toHaveLength(4)
    // up to 20% jitter above each step, never above the cap
    for (const [index, base] of [4, 12, 36].entries()) {
      expect(delays[index]).toBeGreaterThanOrEqual(base)
      expect(delays[index]).toBeLessThanOrEqual(Math.min(50, Math.round(base * 1.2)))
    }
    expect(delays[3]).toBe(50)
  })

  it('times out a slow answer with ETIMEOUT after the retries', async () => {
    registry.fault('/a', { delayMs: 2_000 })
    const error = await failure(open({ readTimeout: 100, retries: 1 }).getPackument('a'))
    expect(error.code).toBe('ETIMEOUT')
    expect(error.details).toMatchObject({
      url: `${registry.url}a`,
      tries: 2,
      reason: 'UND_ERR_HEADERS_TIMEOUT',
    })
  })

  it('reports an unreachable registry after the retries', async () => {
    const closed = await createTestRegistry()
    const url = closed.url
    await closed.close()
    const error = await failure(open({ registry: url, retries: 1 }).getPackument('a'))
    expect(error.code).toBe('ENETWORK')
    expect(error.details).toMatchObject({ url: `${url}a`, tries: 2, reason: 'ECONNREFUSED' })
    expect(error.message).toMatch(`Could not reach ${url}a after 2 tries (connect ECONNREFUSED`)
  })
})

describe('credentials in URLs', () => {
  /** Everything a failure and the events tell about it, as one text. */
  const told = (error: ToteError) =>
    JSON.stringify({
      message: error.message,
      hint: error.hint,
      details: error.details,
      cause: String(error.cause),
      events,
    })

  it('never shows the user and password of a registry URL, nor a token in a query', async () => {
    const withUser = registry.url.replace('http://', 'http://me:s3cret-password@')
    const c = open({ registry: withUser, retries: 1 })
    registry.fault('/a', { status: 503 })
    registry.fault('/missing', { status: 404 })
    registry.fault('/reset', { status: 200, body: '{"name":"reset","versions":{}}', resetAfterBytes: 1 })
    registry.fault('/slow', { delayMs: 2_000 })
    const failures = [
      await failure(c.getPackument('a')),
      await failure(c.getPackument('missing')),
      await failure(c.getPackument('reset')),
      await failure(open({ registry: withUser, retries: 0, readTimeout: 50 }).getPackument('slow')),
      await failure(c.fetchTarball(`${registry.url}none.tgz?token=s3cret-token&v=1`)),
      await failure(open({ registry: withUser, offline: true }).getPackument('a')),
    ]
    expect(failures.map((error) => error.code)).toEqual([
      'EHTTP',
      'E404',
      'ENETWORK',
      'ETIMEOUT',
      'E404',
      'EOFFLINE',
    ])
    for (const error of failures) {
      expect(told(error)).not.toContain('s3cret')
      expect(told(error)).toMatch(/\*\*\*/)
    }
    expect(failures[0]!.message).toContain('http://***@127.0.0.1')
    expect(failures[4]!.message).toContain('none.tgz?token=***&v=1')
    expect(events.length).toBeGreaterThan(0)
    // the requests went out all the same, without the credentials in their path
    expect(registry.requests.map((request) => request.path)).toContain('/none.tgz?token=s3cret-token&v=1')
  })

  it('never shows them for an unreachable registry, a damaged document or a tarball its sink rejects', async () => {
    const closed = await createTestRegistry()
    const unreachable = closed.url.replace('http://', 'http://me:s3cret-password@')
    await closed.close()
    const refused = await failure(open({ registry: unreachable, retries: 0 }).getPackument('a'))
    expect(refused.code).toBe('ENETWORK')
    registry.fault('/damaged', { status: 200, body: '{"name":' })
    const withUser = registry.url.replace('http://', 'http://me:s3cret-password@')
    const damaged = await failure(open({ registry: withUser, retries: 0 }).getPackument('damaged'))
    expect(damaged.code).toBe('EBADJSON')
    const tarball = `${registry.tarballUrl('a', '1.0.0')}?access_token=s3cret-token`
    const rejected = await failure(
      open({ retries: 0 }).fetchTarball(tarball, {
        createSink: () => ({
          push: () => {},
          finish: () => {
            throw new ToteError('EINTEGRITY', 'digest differs', { details: { url: tarball } })
          },
        }),
      }),
    )
    expect(rejected.code).toBe('EINTEGRITY')
    for (const error of [refused, damaged, rejected]) expect(told(error)).not.toContain('s3cret')
  })
})

describe('closing', () => {
  it('abandons the documents still being fetched, and caches those that arrived', async () => {
    registry.fault('/slow', { delayMs: 30_000 })
    const cacheDir = await mkdtemp(join(tmpdir(), 'tote-registry-close-'))
    const c = open({ cacheDir })
    await c.getPackument('a')
    const pending = c.getPackument('slow')
    const outcome = pending.then(
      () => 'fetched',
      (error: Error) => error.message,
    )
    while (requestsTo('/slow') === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    // waiting for the slow answer would outlast the test's timeout
    await c.close()
    expect(await outcome).toBe('registry client is closed')
    const offline = open({ cacheDir, offline: true })
    expect((await offline.getPackument('a')).versions.get('1.0.0')).toBeDefined()
    expect((await failure(offline.getPackument('slow'))).code).toBe('EOFFLINE')
    await rm(cacheDir, { recursive: true, force: true })
  })
})
