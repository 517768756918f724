// Faults of the registry during installs: each request kind is retried within npm's fetch-retries,
// once (no layer retries again what another already did), and the error counts the real tries.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { scratch, tote } from './_tote.js'

let registry: TestRegistry

// Big enough that a corrupted or stalled body is not one packet.
const data = Array.from({ length: 4000 }, (_, index) => `${index.toString(36)}\n`).join('')

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: {
      app: { versions: { '1.0.0': { dependencies: { lib: '^1.0.0' } } } },
      lib: { versions: { '1.0.0': { files: { 'index.js': 'module.exports = "lib"\n', 'data.txt': data } } } },
      host: { versions: { '1.0.0': { optionalDependencies: { binding: '1.0.0' } } } },
      binding: {
        versions: { '1.0.0': { files: { 'index.js': 'module.exports = "native"\n', 'data.txt': data } } },
      },
    },
  })
})
afterAll(() => registry.close())
afterEach(() => registry.clearFaults())

type Project = ReturnType<typeof scratch>

function run(project: Project, args: string[], env: Record<string, string> = {}) {
  return tote(args, { ...project, cwd: project.dir, registry: registry.url, env })
}

/** A project with its package-lock.json written (and nothing downloaded yet). */
async function locked(dependencies: Record<string, string>): Promise<Project> {
  const project = scratch({ name: 'p', version: '1.0.0', dependencies })
  const result = await run(project, ['install', '--lockfile-only'])
  expect(result).toMatchObject({ code: 0, stderr: '' })
  return project
}

/** The retries the user sees: one warning per failed try that is tried again. */
function onlyRetries(stderr: string): string[] {
  const lines = stderr.split('\n').filter(Boolean)
  for (const line of lines)
    expect(line).toMatch(/^tote warn ERETRY: GET \S+: .* \(try \d of \d\); trying again in /)
  return lines
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

const requestsTo = (path: string) => registry.requests.filter((request) => request.path === path).length

/** Runs `work`, then says how many requests it sent to `path`. */
async function counting<T>(path: string, work: () => Promise<T>): Promise<{ result: T; requests: number }> {
  const before = requestsTo(path)
  const result = await work()
  return { result, requests: requestsTo(path) - before }
}

describe('a tarball corrupted on its way', () => {
  const tarball = () => registry.tarballPath('lib', '1.0.0')

  it.each([['ci'], ['install']])(
    'once: `tote %s` from a lockfile downloads it again and succeeds',
    async (command) => {
      const project = await locked({ lib: '1.0.0' })
      registry.fault(tarball(), { corrupt: true, times: 1 })
      const { result, requests } = await counting(tarball(), () => run(project, [command]))
      expect(onlyRetries(result.stderr).length).toBeGreaterThan(0)
      expect(result.code).toBe(0)
      expect(requests).toBe(2)
      expect(readFileSync(join(project.dir, 'node_modules/lib/data.txt'), 'utf8')).toBe(data)
    },
  )

  it.each([
    ['ci', true],
    ['install', false],
  ])(
    'every time: `tote %s` (lockfile: %s) fails with EINTEGRITY after 1 + fetch-retries tries, and says so',
    async (command, lock) => {
      const project = lock
        ? await locked({ lib: '1.0.0' })
        : scratch({ name: 'p', version: '1.0.0', dependencies: { lib: '1.0.0' } })
      registry.fault(tarball(), { corrupt: true })
      const { result, requests } = await counting(tarball(), () =>
        run(project, [command, '--verbose'], { npm_config_fetch_retries: '3' }),
      )
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('EINTEGRITY')
      expect(result.stderr).toContain(registry.tarballUrl('lib', '1.0.0'))
      expect(result.stderr).toContain('4 tries')
      expect(requests).toBe(4)
      // The registry answered: each next try goes at once, without the backoff.
      for (const attempt of [1, 2, 3]) {
        expect(result.stderr).toMatch(
          new RegExp(
            `GET ${escapeRegExp(registry.tarballUrl('lib', '1.0.0'))}: EINTEGRITY \\(try ${attempt} of 4\\); trying again in 0 ms`,
          ),
        )
      }
      expect(existsSync(join(project.dir, 'node_modules/lib'))).toBe(false)
    },
  )

  it('once, for an optional dependency: it is retried and installed, not skipped', async () => {
    const project = await locked({ host: '1.0.0' })
    const path = registry.tarballPath('binding', '1.0.0')
    registry.fault(path, { corrupt: true, times: 1 })
    const { result, requests } = await counting(path, () => run(project, ['ci']))
    expect(result.stderr).not.toContain('EOPTIONALFAILED')
    expect(result.code).toBe(0)
    expect(requests).toBe(2)
    expect(readFileSync(join(project.dir, 'node_modules/binding/data.txt'), 'utf8')).toBe(data)
  })
})

describe('a registry document damaged on its way', () => {
  it('once: the packument and the version document are fetched again, and the install succeeds', async () => {
    const project = scratch({ name: 'p', version: '1.0.0', dependencies: { app: '^1.0.0' } })
    // app is the project's own dependency (its version document is asked for), lib a deeper one (its packument).
    registry.fault(/^\/app\/[^-]/, {
      status: 200,
      body: '{"name":"app","version":"1.0.0","dist":{"tar',
      times: 1,
    })
    registry.fault('/lib', { status: 200, body: '{"name":"lib","versions":{"1.0.0":{', times: 1 })
    const before = registry.requests.length
    const result = await run(project, ['install'])
    expect(onlyRetries(result.stderr).length).toBeGreaterThan(0)
    expect(result.code).toBe(0)
    const paths = registry.requests.slice(before).map((request) => request.path)
    expect(paths.filter((path) => path === '/lib')).toHaveLength(2)
    expect(paths.filter((path) => /^\/app\/[^-]/.test(path))).toHaveLength(2)
    expect(readFileSync(join(project.dir, 'node_modules/lib/data.txt'), 'utf8')).toBe(data)
  })

  it('every time: EBADJSON naming the URL and the real number of tries', async () => {
    const project = scratch({ name: 'p', version: '1.0.0', dependencies: { app: '^1.0.0' } })
    registry.fault('/lib', { status: 200, body: '{"name":"lib","versions":{"1.0.0":{' })
    const { result, requests } = await counting('/lib', () => run(project, ['install']))
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('EBADJSON')
    expect(result.stderr).toContain(`${registry.url}lib`)
    expect(result.stderr).toContain('3 tries')
    expect(requests).toBe(3)
  })
})

describe('a download that stalls after its headers', () => {
  const tarball = () => registry.tarballPath('lib', '1.0.0')
  // fetch-timeout is how long a try waits for the next bytes; kept short here.
  const env = { npm_config_fetch_timeout: '300' }

  it.each([
    ['ci', true],
    ['install', true],
    ['install', false],
  ])(
    'for good: `tote %s` (lockfile: %s) gives up after 1 + fetch-retries tries, and says so',
    async (command, lock) => {
      const project = lock
        ? await locked({ lib: '1.0.0' })
        : scratch({ name: 'p', version: '1.0.0', dependencies: { lib: '1.0.0' } })
      registry.fault(tarball(), { stallAfterBytes: 1000 })
      const { result, requests } = await counting(tarball(), () => run(project, [command], env))
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('tote error ETIMEOUT: Timed out fetching')
      expect(result.stderr).toContain(registry.tarballUrl('lib', '1.0.0'))
      expect(result.stderr).toContain('3 tries')
      expect(requests).toBe(3)
    },
  )

  it('once: the next try gets it', async () => {
    const project = await locked({ lib: '1.0.0' })
    registry.fault(tarball(), { stallAfterBytes: 1000, times: 1 })
    const { result, requests } = await counting(tarball(), () => run(project, ['ci'], env))
    expect(onlyRetries(result.stderr).length).toBeGreaterThan(0)
    expect(result.code).toBe(0)
    expect(requests).toBe(2)
    expect(readFileSync(join(project.dir, 'node_modules/lib/data.txt'), 'utf8')).toBe(data)
  })
})

describe('the wait between tries', () => {
  it("is npm's: fetch-retry-mintimeout × fetch-retry-factor^(n−1), capped by fetch-retry-maxtimeout", async () => {
    const project = await locked({ lib: '1.0.0' })
    registry.fault(registry.tarballPath('lib', '1.0.0'), { status: 503 })
    const result = await run(project, ['ci', '--verbose'], {
      npm_config_fetch_retries: '3',
      npm_config_fetch_retry_mintimeout: '20',
      npm_config_fetch_retry_factor: '3',
      npm_config_fetch_retry_maxtimeout: '100',
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('4 tries')
    const url = registry.tarballUrl('lib', '1.0.0')
    const delays = [
      ...result.stderr.matchAll(/GET (\S+): HTTP 503 \(try \d of 4\); trying again in (\d+) ms/g),
    ]
      .filter((match) => match[1] === url)
      .map((match) => Number(match[2]))
    expect(delays).toHaveLength(3)
    // up to 20% jitter above each step, never above the cap
    expect(delays[0]).toBeGreaterThanOrEqual(20)
    expect(delays[0]).toBeLessThanOrEqual(24)
    expect(delays[1]).toBeGreaterThanOrEqual(60)
    expect(delays[1]).toBeLessThanOrEqual(72)
    expect(delays[2]).toBe(100)
  })
})

describe('credentials in URLs', () => {
  const secret = 's3cret'

  it('never appear in --verbose log lines, warnings or errors: a user and password in the registry URL', async () => {
    const project = scratch({ name: 'p', version: '1.0.0', dependencies: { app: '^1.0.0' } })
    const withUser = registry.url.replace('http://', `http://me:${secret}-password@`)
    registry.fault('/lib', { status: 503 })
    const result = await tote(['install', '--verbose'], {
      ...project,
      cwd: project.dir,
      registry: withUser,
      env: { npm_config_fetch_retries: '1' },
    })
    expect(result.code).toBe(1)
    const output = result.stdout + result.stderr
    // request lines, retry warnings and the error are all there, with the user info hidden
    expect(result.stderr).toMatch(/^tote: GET http:\/\/\*\*\*@127\.0\.0\.1:\d+\/app\/\S+ 200 /m)
    expect(result.stderr).toMatch(/^tote warn ERETRY: GET http:\/\/\*\*\*@127\.0\.0\.1:\d+\/lib: HTTP 503/m)
    expect(result.stderr).toMatch(
      /^tote error EHTTP: HTTP 503 from http:\/\/\*\*\*@127\.0\.0\.1:\d+\/lib after 2 tries/m,
    )
    expect(output).not.toContain(secret)
  })

  it('never appear in --verbose log lines, warnings or errors: a token in a tarball URL of the lockfile', async () => {
    const project = await locked({ lib: '1.0.0' })
    const lockPath = join(project.dir, 'package-lock.json')
    const lock = JSON.parse(readFileSync(lockPath, 'utf8'))
    const tarball = registry.tarballUrl('lib', '1.0.0')
    lock.packages['node_modules/lib'].resolved = `${tarball}?token=${secret}-token`
    writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`)
    registry.fault(registry.tarballPath('lib', '1.0.0'), { status: 503 })
    const result = await run(project, ['ci', '--verbose'], { npm_config_fetch_retries: '1' })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`tote: GET ${tarball}?token=*** 503 `)
    expect(result.stderr).toContain(`tote warn ERETRY: GET ${tarball}?token=***: HTTP 503`)
    expect(result.stderr).toContain(`tote error EHTTP: HTTP 503 from ${tarball}?token=*** after 2 tries`)
    expect(result.stdout + result.stderr).not.toContain(secret)
    // the download itself carried the token
    expect(registry.requests.map((request) => request.path)).toContain(
      `${registry.tarballPath('lib', '1.0.0')}?token=${secret}-token`,
    )
  })
})
