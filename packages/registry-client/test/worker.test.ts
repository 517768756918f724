import { execFileSync } from 'node:child_process'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import type { ToteError } from '@tote/types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRegistryClient, type RegistryEvent } from '../src/index.js'

// Worker threads cannot load TypeScript on Node 20: build the package and run its compiled worker.
const packageDir = fileURLToPath(new URL('..', import.meta.url))
const workerScript = join(packageDir, 'dist', '_worker.js')

let registry: TestRegistry
let cacheDir: string
beforeAll(async () => {
  execFileSync(
    process.execPath,
    [join(packageDir, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: packageDir,
    },
  )
  cacheDir = await mkdtemp(join(tmpdir(), 'tote-registry-worker-'))
  registry = await createTestRegistry({
    packages: {
      a: { versions: { '1.0.0': { bin: 'cli.js', scripts: { install: 'node-gyp rebuild' } } } },
      '@s/b': { versions: { '1.0.0': {}, '2.0.0': { dependencies: { a: '1' } } } },
    },
  })
}, 120_000)
afterAll(async () => {
  await registry?.close()
  await rm(cacheDir, { recursive: true, force: true })
})

describe('worker mode', () => {
  it('loads the same packuments as the calling thread, replays events, and fills the cache', async () => {
    const events: RegistryEvent[] = []
    const inWorker = createRegistryClient({
      registry: registry.url,
      workers: 1,
      workerScript,
      cacheDir,
      authHeaderFor: () => 'Bearer t',
      onEvent: (event) => events.push(event),
    })
    const onThread = createRegistryClient({ registry: registry.url, workers: 0 })
    try {
      const sizes: number[] = []
      const [a, b] = await Promise.all([
        inWorker.getPackument('a', { onSize: (bytes) => sizes.push(bytes) }),
        inWorker.getPackument('@s/b'),
      ])
      expect(a).toEqual(await onThread.getPackument('a'))
      expect(b).toEqual(await onThread.getPackument('@s/b'))
      expect(a.versions['1.0.0']).toMatchObject({ bin: { a: 'cli.js' }, hasInstallScript: true })
      expect(events.filter((event) => event.type === 'request-end')).toHaveLength(2)
      // Told from the worker's answer, as on the calling thread.
      const aEnd = events.find((event) => event.type === 'request-end' && event.url.endsWith('/a'))
      expect(sizes).toEqual([(aEnd as { bytes: number }).bytes])
      expect(registry.requests.slice(0, 2).map((request) => request.headers.authorization)).toEqual([
        'Bearer t',
        'Bearer t',
      ])
    } finally {
      await Promise.all([inWorker.close(), onThread.close()])
    }
    expect((await readdir(join(cacheDir, 'metadata-v2'))).sort()).toHaveLength(2)
    // The files the worker wrote are whole entries: an offline client reads the same packuments.
    const offline = createRegistryClient({ registry: registry.url, workers: 0, cacheDir, offline: true })
    const fresh = createRegistryClient({ registry: registry.url, workers: 0 })
    try {
      expect(await offline.getPackument('@s/b')).toEqual(await fresh.getPackument('@s/b'))
    } finally {
      await Promise.all([offline.close(), fresh.close()])
    }
  })

  it('reads a version without a tarball as unusable, as on the calling thread', async () => {
    const body =
      '{"name":"c","dist-tags":{"latest":"1.0.0"},"versions":{"0.1.0":{"version":"0.1.0"},' +
      `"1.0.0":{"name":"c","version":"1.0.0","dist":{"tarball":"${registry.url}c.tgz"}}}}`
    registry.fault('/c', { status: 200, body })
    const client = createRegistryClient({ registry: registry.url, workers: 1, workerScript })
    const onThread = createRegistryClient({ registry: registry.url, workers: 0 })
    try {
      const packument = await client.getPackument('c')
      expect(packument.versions['0.1.0']).toBeUndefined()
      expect(packument.versions['1.0.0']?.dist.tarball).toBe(`${registry.url}c.tgz`)
      expect(packument).toEqual(await onThread.getPackument('c'))
    } finally {
      registry.clearFaults()
      await Promise.all([client.close(), onThread.close()])
    }
  })

  it('reports a damaged version when it is read, naming the package and version', async () => {
    const body =
      '{"name":"d","dist-tags":{"latest":"1.0.0"},"versions":{"0.1.0":{"version":0.1.0.0},' +
      `"1.0.0":{"name":"d","version":"1.0.0","dist":{"tarball":"${registry.url}d.tgz"}}}}`
    registry.fault('/d', { status: 200, body })
    const client = createRegistryClient({ registry: registry.url, workers: 1, workerScript })
    try {
      const packument = await client.getPackument('d')
      expect(packument.versions['1.0.0']?.version).toBe('1.0.0')
      expect(() => packument.versions['0.1.0']).toThrow("Invalid JSON in version 0.1.0 of 'd'")
    } finally {
      registry.clearFaults()
      await client.close()
    }
  })

  it('serves a warm cache from the worker without asking the registry', async () => {
    const warmCache = await mkdtemp(join(tmpdir(), 'tote-registry-worker-warm-'))
    const filling = createRegistryClient({
      registry: registry.url,
      workers: 1,
      workerScript,
      cacheDir: warmCache,
    })
    const expected = await filling.getPackument('@s/b').finally(() => filling.close())
    const asked = registry.requests.length
    const reading = createRegistryClient({
      registry: registry.url,
      workers: 1,
      workerScript,
      cacheDir: warmCache,
      preferOffline: true,
    })
    try {
      expect(await reading.getPackument('@s/b')).toEqual(expected)
      expect(registry.requests.length).toBe(asked)
    } finally {
      await reading.close()
      await rm(warmCache, { recursive: true, force: true })
    }
  })

  it('fails loads instead of hanging when a worker dies', async () => {
    const dying = join(cacheDir, 'dying-worker.mjs')
    await writeFile(dying, "export default async () => { throw new Error('worker died') }\n")
    const client = createRegistryClient({ registry: registry.url, workers: 1, workerScript: dying })
    try {
      await expect(client.getPackument('a')).rejects.toThrow('worker died')
      await expect(client.getPackument('@s/b')).rejects.toThrow('worker died')
    } finally {
      await client.close()
    }
  })

  it('carries ToteErrors across the thread boundary with their code and details', async () => {
    const client = createRegistryClient({
      registry: registry.url,
      workers: 1,
      workerScript,
      retryMinTimeout: 5,
    })
    try {
      registry.fault('/a', { status: 500 })
      const missing = (await client.getPackument('nope').catch((error: unknown) => error)) as ToteError
      expect(missing.code).toBe('E404')
      expect(missing.details).toMatchObject({ url: `${registry.url}nope`, status: 404, tries: 1 })
      const failing = (await client.getPackument('a').catch((error: unknown) => error)) as ToteError
      expect(failing.code).toBe('EHTTP')
      expect(failing.details).toMatchObject({ status: 500, tries: 3 })
      // A damaged document is asked for again by the worker, as on the calling thread.
      registry.clearFaults()
      registry.addPackages({ b: { versions: { '1.0.0': {} } } })
      registry.fault('/b', { status: 200, body: '{"name":"b","versions":{', times: 1 })
      expect((await client.getPackument('b')).name).toBe('b')
      expect(registry.requests.filter((request) => request.path === '/b')).toHaveLength(2)
      registry.fault('/c', { status: 200, body: '{"name":"c","versions":{' })
      const damaged = (await client.getPackument('c').catch((error: unknown) => error)) as ToteError
      expect(damaged.code).toBe('EBADJSON')
      expect(damaged.message).toContain('(3 tries)')
      expect(damaged.details).toMatchObject({ url: `${registry.url}c`, tries: 3 })
    } finally {
      registry.clearFaults()
      await client.close()
    }
  })
})
