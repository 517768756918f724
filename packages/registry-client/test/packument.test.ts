import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import type { LazyPackument } from '@tote/types'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createRegistryClient, type RegistryClient, type RegistryEvent } from '../src/index.js'
import { readAll } from './_documents.js'

let registry: TestRegistry
let client: RegistryClient | undefined
beforeEach(async () => {
  registry = await createTestRegistry({
    packages: {
      a: {
        versions: {
          '1.0.0': { dependencies: { b: '^1.0.0' }, license: 'MIT', bin: './cli.js' },
          '1.1.0': {
            scripts: { postinstall: 'node setup.js', test: 'x' },
            os: ['linux'],
            engines: { node: '>=20' },
          },
        },
      },
      b: {
        versions: {
          '1.0.0': { peerDependencies: { a: '1' }, peerDependenciesMeta: { a: { optional: true } } },
        },
      },
      '@scope/tool': { versions: { '2.0.0': { bin: { tool: 'bin/tool.js' }, deprecated: 'use other' } } },
    },
  })
})
afterEach(async () => {
  await client?.close()
  client = undefined
  await registry.close()
})

function open(options: Partial<Parameters<typeof createRegistryClient>[0]> = {}): RegistryClient {
  client = createRegistryClient({ registry: registry.url, retryMinTimeout: 5, ...options })
  return client
}

describe('getPackument', () => {
  it('returns the reduced document with normalised fields', async () => {
    const packument = await open().getPackument('a')
    expect(packument.name).toBe('a')
    expect(packument['dist-tags']).toEqual({ latest: '1.1.0' })
    expect(packument.versions.keys()).toEqual(['1.0.0', '1.1.0'])
    expect(packument.versions.get('1.0.0')).toEqual({
      name: 'a',
      version: '1.0.0',
      dependencies: { b: '^1.0.0' },
      bin: { a: 'cli.js' },
      dist: {
        tarball: registry.tarballUrl('a', '1.0.0'),
        integrity: registry.integrity('a', '1.0.0'),
        shasum: registry.shasum('a', '1.0.0'),
      },
    })
    expect(packument.versions.get('1.1.0')).toMatchObject({
      hasInstallScript: true,
      os: ['linux'],
      engines: { node: '>=20' },
    })
    expect(packument.versions.get('1.1.0')).not.toHaveProperty('scripts')
  })

  it('asks for the abbreviated document with gzip, and escapes scoped names', async () => {
    const packument = await open().getPackument('@scope/tool')
    expect(packument.versions.get('2.0.0')).toMatchObject({
      bin: { tool: 'bin/tool.js' },
      deprecated: 'use other',
    })
    const [request] = registry.requests
    expect(request?.path).toBe('/@scope%2ftool')
    expect(request?.path).toBe(registry.packumentPath('@scope/tool'))
    expect(request?.headers.accept).toBe(
      'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*',
    )
    expect(request?.headers['accept-encoding']).toBe('gzip')
  })

  it('accepts full documents (a mirror that ignores the abbreviated type), reading the same fields', async () => {
    const full = await createTestRegistry({
      fullOnly: true,
      packages: {
        a: { versions: { '1.0.0': { scripts: { install: 'node-gyp rebuild' }, license: 'ISC' } } },
      },
    })
    try {
      const packument = await open({ registry: full.url }).getPackument('a')
      expect(packument.versions.get('1.0.0')).toMatchObject({ hasInstallScript: true, license: 'ISC' })
      expect(packument.versions.get('1.0.0')).not.toHaveProperty('scripts')
      expect(packument.modified).toEqual(expect.any(String))
    } finally {
      await full.close()
    }
  })

  it('gunzips a compressed answer, which reads as the same document', async () => {
    const packages = { a: { versions: { '1.0.0': { dependencies: { b: '^1.0.0' } } } } }
    const gzipped = await createTestRegistry({ compress: true, packages })
    const plain = await createTestRegistry({ packages })
    try {
      const sizes: number[] = []
      const onEvent = (event: RegistryEvent) => {
        if (event.type === 'request-end') sizes.push(event.bytes)
      }
      const first = open({ registry: gzipped.url, onEvent })
      const compressed = await first.getPackument('a')
      await first.close()
      const identity = await open({ registry: plain.url, onEvent }).getPackument('a')
      const withoutOrigin = (packument: LazyPackument, registryUrl: string) =>
        JSON.parse(JSON.stringify(readAll(packument)).replaceAll(registryUrl, '<registry>/'))
      expect(withoutOrigin(compressed, gzipped.url)).toEqual(withoutOrigin(identity, plain.url))
      expect(compressed.versions.get('1.0.0')?.dependencies).toEqual({ b: '^1.0.0' })
      expect(gzipped.requests[0]?.headers['accept-encoding']).toBe('gzip')
      // bytes as sent: the compressed body is the smaller one
      expect(sizes[0]).toBeLessThan(sizes[1]!)
    } finally {
      await gzipped.close()
      await plain.close()
    }
  })

  it('reads license objects and string bins from a registry that serves them as published', async () => {
    const doc = {
      name: 'old',
      'dist-tags': { latest: '0.1.0' },
      versions: {
        '0.1.0': {
          name: 'old',
          version: '0.1.0',
          license: { type: 'BSD-3-Clause' },
          bin: 'bin/old',
          dist: { tarball: `${registry.url}old/-/old-0.1.0.tgz`, shasum: 'aa' },
        },
      },
    }
    registry.fault('/old', {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(doc),
    })
    const packument = await open().getPackument('old')
    expect(packument.versions.get('0.1.0')).toEqual({
      name: 'old',
      version: '0.1.0',
      license: 'BSD-3-Clause',
      bin: { old: 'bin/old' },
      dist: { tarball: `${registry.url}old/-/old-0.1.0.tgz`, shasum: 'aa' },
    })
  })

  it('skips what it does not read: a readme before the versions, a version with its own time key', async () => {
    const version = (number: string) => ({
      name: 'doc',
      version: number,
      time: { modified: 'not the document time' },
      description: 'a "}, "time": {" inside a string',
      dependencies: { a: '^1.0.0' },
      dist: { tarball: `${registry.url}doc/-/doc-${number}.tgz` },
    })
    const doc = {
      name: 'doc',
      readme: `# doc\n${'text '.repeat(20_000)}`,
      'dist-tags': { latest: '1.1.0' },
      versions: { '1.0.0': version('1.0.0'), '1.1.0': version('1.1.0') },
      time: { '1.0.0': '2020-01-01T00:00:00.000Z', modified: '2020-02-02T00:00:00.000Z' },
      maintainers: [{ name: 'someone' }],
    }
    registry.fault('/doc', { status: 200, body: JSON.stringify(doc, null, 1) })
    const packument = await open().getPackument('doc')
    expect(readAll(packument)).toEqual({
      name: 'doc',
      'dist-tags': { latest: '1.1.0' },
      modified: '2020-02-02T00:00:00.000Z',
      versions: {
        '1.0.0': {
          name: 'doc',
          version: '1.0.0',
          dependencies: { a: '^1.0.0' },
          dist: { tarball: `${registry.url}doc/-/doc-1.0.0.tgz` },
        },
        '1.1.0': {
          name: 'doc',
          version: '1.1.0',
          dependencies: { a: '^1.0.0' },
          dist: { tarball: `${registry.url}doc/-/doc-1.1.0.tgz` },
        },
      },
    })
  })

  it('sends one request for many concurrent callers, and reuses the result afterwards', async () => {
    registry.fault('/a', { delayMs: 50 })
    const c = open()
    const results = await Promise.all(Array.from({ length: 10 }, () => c.getPackument('a')))
    expect(new Set(results).size).toBe(1)
    await c.getPackument('a')
    expect(registry.requests.filter((request) => request.path === '/a')).toHaveLength(1)
  })

  it('forgets loaded documents when asked, and loads them again on the next request', async () => {
    const c = open()
    const first = await c.getPackument('a')
    registry.fault('/b', { delayMs: 100 })
    const loading = c.getPackument('b')
    c.forgetDocuments()
    // One still in flight stays shared: a caller who joins now waits for the same request.
    const [b1, b2] = await Promise.all([loading, c.getPackument('b')])
    expect(b2).toBe(b1)
    const again = await c.getPackument('a')
    expect(again).not.toBe(first)
    expect([...again.versions.keys()]).toEqual([...first.versions.keys()])
    const paths = registry.requests.map((request) => request.path)
    expect(paths.filter((path) => path === '/a')).toHaveLength(2)
    expect(paths.filter((path) => path === '/b')).toHaveLength(1)
  })

  it('counts requests in flight and reports request events', async () => {
    registry.fault('/a', { delayMs: 50 })
    const events: RegistryEvent[] = []
    const c = open({ onEvent: (event) => events.push(event) })
    const pending = c.getPackument('a')
    expect(c.inFlight).toBe(1)
    await pending
    expect(c.inFlight).toBe(0)
    expect(events.map((event) => event.type)).toEqual(['request-start', 'response-start', 'request-end'])
    expect(events[2]).toMatchObject({ url: `${registry.url}a`, status: 200, fromCache: false })
    const bytes = (events[2] as { bytes: number }).bytes
    expect(bytes).toBeGreaterThan(100)
    expect(events[1]).toEqual({ type: 'response-start', url: `${registry.url}a`, status: 200, bytes })
  })

  it('tells onSize how large the document is as it begins to arrive, and callers who join later too', async () => {
    registry.fault('/a', { delayMs: 50 })
    const events: RegistryEvent[] = []
    const c = open({ onEvent: (event) => events.push(event) })
    const sizes: string[] = []
    const first = c.getPackument('a', { onSize: (bytes) => sizes.push(`first ${bytes}`) })
    const joined = c.getPackument('a', { onSize: (bytes) => sizes.push(`joined ${bytes}`) })
    const plain = c.getPackument('a')
    expect(sizes).toEqual([])
    await Promise.all([first, joined, plain])
    const bytes = events.find((event) => event.type === 'request-end')!.bytes
    expect(sizes).toEqual([`first ${bytes}`, `joined ${bytes}`])
    await c.getPackument('a', { onSize: (size) => sizes.push(`after ${size}`) })
    await Promise.resolve()
    expect(sizes).toEqual([`first ${bytes}`, `joined ${bytes}`, `after ${bytes}`])
    expect(registry.requests.filter((request) => request.path === '/a')).toHaveLength(1)
  })

  it('does not call onSize for a document read from the cache', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'tote-size-'))
    try {
      const online = open({ cacheDir })
      await online.getPackument('a')
      await online.close()
      const offline = open({ cacheDir, offline: true })
      const sizes: number[] = []
      expect((await offline.getPackument('a', { onSize: (bytes) => sizes.push(bytes) })).name).toBe('a')
      await new Promise((resolve) => setImmediate(resolve))
      expect(sizes).toEqual([])
    } finally {
      await rm(cacheDir, { recursive: true, force: true })
    }
  })

  it('uses registryFor for scoped registries', async () => {
    const scoped = await createTestRegistry({ packages: { '@corp/lib': { versions: { '3.0.0': {} } } } })
    try {
      const c = open({ registryFor: (name) => (name.startsWith('@corp/') ? scoped.url : registry.url) })
      const [lib, a] = await Promise.all([c.getPackument('@corp/lib'), c.getPackument('a')])
      expect(lib.versions.keys()).toEqual(['3.0.0'])
      expect(a.name).toBe('a')
      expect(scoped.requests.map((request) => request.path)).toEqual(['/@corp%2flib'])
      expect(registry.requests.map((request) => request.path)).toEqual(['/a'])
    } finally {
      await scoped.close()
    }
  })

  it('lets one caller abort without cancelling the shared request', async () => {
    registry.fault('/a', { delayMs: 100 })
    const c = open()
    const controller = new AbortController()
    const aborted = c.getPackument('a', { signal: controller.signal })
    const other = c.getPackument('a')
    controller.abort(new Error('stop'))
    await expect(aborted).rejects.toThrow('stop')
    expect((await other).name).toBe('a')
  })
})

describe('getVersion', () => {
  it('reads one version’s document as a packument holding that version, reduced like the packument’s', async () => {
    const client = open()
    const latest = await client.getVersion('a', 'latest')
    const full = await client.getPackument('a')
    expect(readAll(latest)).toEqual({
      name: 'a',
      'dist-tags': { latest: '1.1.0' },
      versions: { '1.1.0': full.versions.get('1.1.0') },
    })
    const exact = await client.getVersion('@scope/tool', '2.0.0')
    expect(exact['dist-tags']).toEqual({})
    expect(exact.versions.get('2.0.0')).toMatchObject({
      deprecated: 'use other',
      bin: { tool: 'bin/tool.js' },
    })
    const paths = registry.requests.map((request) => request.path)
    expect(paths).toContain('/a/latest')
    expect(paths).toContain('/@scope%2ftool/2.0.0')
  })

  it('an unknown version is E404; an answer that is not a version document is EBADJSON', async () => {
    const client = open()
    await expect(client.getVersion('a', '9.9.9')).rejects.toMatchObject({ code: 'E404' })
    for (const body of [
      '{"name":"a"}',
      '{"name":"a","version":"1.1.0"',
      '{"version":1}',
      '["1.1.0"]',
      '{"version":"1.1.0"} x',
    ]) {
      registry.fault('/a/latest', { status: 200, body })
      await expect(client.getVersion('a', 'latest')).rejects.toMatchObject({
        code: 'EBADJSON',
        message: `The registry's answer for 'a@latest' from ${registry.url}a/latest is not a version document (3 tries)`,
        details: { url: `${registry.url}a/latest`, status: 200, tries: 3 },
      })
    }
  })

  it('takes the version from the document itself, not from a string or an object inside it', async () => {
    const client = open()
    const { integrity, tarball } = (await client.getPackument('a')).versions.get('1.1.0')!.dist
    const body = JSON.stringify({
      readme: 'pin it: "version": "9.9.9"',
      engines: { version: '8.8.8' },
      name: 'a',
      'vers\u0069on-note': 'escaped key',
      version: '1.1.0',
      dist: { integrity, tarball },
    })
    registry.fault('/a/next', { status: 200, body: `  ${body.replace('"engines"', '\n "engines"')}\n` })
    const next = await client.getVersion('a', 'next')
    expect(next['dist-tags']).toEqual({ next: '1.1.0' })
    expect(next.versions.keys()).toEqual(['1.1.0'])
    expect(next.versions.get('1.1.0')).toMatchObject({
      name: 'a',
      version: '1.1.0',
      dist: { integrity, tarball },
    })
  })

  it('is cached apart from the packument, and read back offline', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'tote-version-'))
    try {
      const first = await open({ cacheDir }).getVersion('a', 'latest')
      await client?.close()
      const offline = open({ cacheDir, offline: true })
      expect(readAll(await offline.getVersion('a', 'latest'))).toEqual(readAll(first))
      await expect(offline.getPackument('a')).rejects.toMatchObject({ code: 'EOFFLINE' })
    } finally {
      await rm(cacheDir, { recursive: true, force: true })
    }
  })
})
