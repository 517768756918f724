import { spawnSync } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import type { ToteError } from '@tote/types'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createRegistryClient,
  type RegistryClientOptions,
  type RegistryEvent,
  removeOwnTempFilesSync,
  removeStaleTempFiles,
} from '../src/index.js'
import { tempFileFor } from '../src/metadata-cache/_writer.js'
import { readAll } from './_documents.js'

let registry: TestRegistry
let cacheDir: string
let events: RegistryEvent[]
beforeEach(async () => {
  events = []
  cacheDir = await mkdtemp(join(tmpdir(), 'tote-registry-cache-'))
  registry = await createTestRegistry({
    packages: { a: { versions: { '1.0.0': {} } }, '@s/b': { versions: { '2.0.0': {} } } },
  })
})
afterEach(async () => {
  await registry.close()
  await rm(cacheDir, { recursive: true, force: true })
})

/** A process id that no process has now: a child that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid
}

/** Runs one client to completion (close() flushes its cache writes), like one tote command. */
async function withClient<T>(
  options: Partial<RegistryClientOptions>,
  use: (client: ReturnType<typeof createRegistryClient>) => Promise<T>,
): Promise<T> {
  const client = createRegistryClient({
    registry: registry.url,
    cacheDir,
    retryMinTimeout: 5,
    onEvent: (event) => events.push(event),
    ...options,
  })
  try {
    return await use(client)
  } finally {
    await client.close()
  }
}

const cacheFiles = async () => readdir(join(cacheDir, 'metadata-v2'))

/** A cache file: its header line, and the registry's document after it. */
async function readEntry(file: string) {
  const text = await readFile(join(cacheDir, 'metadata-v2', file), 'utf8')
  const newline = text.indexOf('\n')
  return { ...JSON.parse(text.slice(0, newline)), document: JSON.parse(text.slice(newline + 1)) }
}

describe('metadata cache', () => {
  it('writes an entry with validators, and revalidates it with If-None-Match (304 → cached copy)', async () => {
    const first = await withClient({}, (client) => client.getPackument('a'))
    const files = await cacheFiles()
    expect(files).toHaveLength(1)
    const entry = await readEntry(files[0]!)
    expect(entry).toMatchObject({ url: `${registry.url}a`, etag: expect.any(String) })
    // the document, cut down to what tote reads
    expect(entry.document).toMatchObject({ name: 'a', versions: { '1.0.0': { version: '1.0.0' } } })
    expect(typeof entry.fetchedAt).toBe('number')

    events = []
    const second = await withClient({}, (client) => client.getPackument('a'))
    expect(readAll(second)).toEqual(readAll(first))
    const revalidation = registry.requests[1]!
    expect(revalidation.headers['if-none-match']).toBe(entry.etag)
    expect(revalidation.headers['if-modified-since']).toBe(entry.lastModified)
    expect(events.map((event) => event.type)).toEqual(['request-start', 'request-end', 'cache-revalidated'])
    expect(events[1]).toMatchObject({ status: 304, fromCache: true })
  })

  it('stores a full document cut down to the members tote reads, and reads the same packument back', async () => {
    const full = await createTestRegistry({
      fullOnly: true,
      packages: {
        a: {
          versions: {
            '1.0.0': {
              license: 'MIT',
              scripts: { test: 'vitest', postinstall: 'node setup.js' },
              dependencies: { b: '^1.0.0' },
              devDependencies: { vitest: '^4.0.0' },
              engines: { node: '>=20' },
            },
          },
        },
      },
    })
    try {
      const fetched = await withClient({ registry: full.url }, (client) => client.getPackument('a'))
      const [file] = await cacheFiles()
      const { document } = await readEntry(file!)
      // the time of each version, devDependencies, other scripts, dist's extra members: dropped
      expect(document).toEqual({
        name: 'a',
        'dist-tags': { latest: '1.0.0' },
        time: { modified: expect.any(String) },
        modified: expect.any(String),
        versions: {
          '1.0.0': {
            name: 'a',
            version: '1.0.0',
            license: 'MIT',
            scripts: { postinstall: 'node setup.js' },
            dependencies: { b: '^1.0.0' },
            engines: { node: '>=20' },
            dist: { tarball: expect.any(String), integrity: expect.any(String), shasum: expect.any(String) },
          },
        },
      })
      const cached = await withClient({ registry: full.url, preferOffline: true }, (client) =>
        client.getPackument('a'),
      )
      expect(full.requests).toHaveLength(1)
      expect(readAll(cached)).toEqual(readAll(fetched))
      expect(cached.versions.get('1.0.0')).toMatchObject({
        hasInstallScript: true,
        dependencies: { b: '^1.0.0' },
      })
    } finally {
      await full.close()
    }
  })

  it('refetches when the package changed since it was cached', async () => {
    await withClient({}, (client) => client.getPackument('a'))
    registry.addPackages({ a: { versions: { '1.0.0': {}, '1.1.0': {} } } })
    const updated = await withClient({}, (client) => client.getPackument('a'))
    expect(updated.versions.keys()).toEqual(['1.0.0', '1.1.0'])
    const third = await withClient({ offline: true }, (client) => client.getPackument('a'))
    expect(third.versions.keys()).toEqual(['1.0.0', '1.1.0'])
  })

  it('preferOffline uses a cached copy without a request; offline too', async () => {
    const first = await withClient({}, (client) => client.getPackument('@s/b'))
    events = []
    const cachedCopy = (options: Partial<RegistryClientOptions>) =>
      withClient(options, async (client) => readAll(await client.getPackument('@s/b')))
    expect(await cachedCopy({ preferOffline: true })).toEqual(readAll(first))
    expect(await cachedCopy({ offline: true })).toEqual(readAll(first))
    expect(registry.requests).toHaveLength(1)
    expect(events.map((event) => event.type)).toEqual(['cache-hit', 'cache-hit'])
  })

  it('preferOffline still fetches what is not cached', async () => {
    const packument = await withClient({ preferOffline: true }, (client) => client.getPackument('a'))
    expect(packument.name).toBe('a')
    expect(registry.requests).toHaveLength(1)
  })

  it('offline without a cached copy fails with EOFFLINE and sends nothing', async () => {
    const error = (await withClient({ offline: true }, (client) => client.getPackument('a')).catch(
      (caught: unknown) => caught,
    )) as ToteError
    expect(error.code).toBe('EOFFLINE')
    expect(error.message).toContain("'a'")
    const tarball = (await withClient({ offline: true }, (client) =>
      client.fetchTarball(registry.tarballUrl('a', '1.0.0')),
    ).catch((caught: unknown) => caught)) as ToteError
    expect(tarball.code).toBe('EOFFLINE')
    expect(registry.requests).toHaveLength(0)
  })

  it('ignores a corrupt cache file and fetches the document again', async () => {
    await withClient({}, (client) => client.getPackument('a'))
    const [file] = await cacheFiles()
    await writeFile(join(cacheDir, 'metadata-v2', file!), '{"url": "trunc')
    const packument = await withClient({ preferOffline: true }, (client) => client.getPackument('a'))
    expect(packument.name).toBe('a')
    expect(registry.requests).toHaveLength(2)
    expect(registry.requests[1]!.headers['if-none-match']).toBeUndefined()
    // The refetch repaired the entry.
    const repaired = await readEntry(file!)
    expect(repaired.document.name).toBe('a')
  })

  it('uses a copy the registry declared fresh (max-age) without asking, unless preferOnline', async () => {
    registry.fault('/a', { headers: { 'cache-control': 'public, max-age=300' } })
    await withClient({}, (client) => client.getPackument('a'))
    await withClient({}, (client) => client.getPackument('a'))
    expect(registry.requests).toHaveLength(1)
    await withClient({ preferOnline: true }, (client) => client.getPackument('a'))
    expect(registry.requests).toHaveLength(2)
    expect(registry.requests[1]!.headers['if-none-match']).toEqual(expect.any(String))
  })

  it('writes files atomically: no temporary files are left behind', async () => {
    await withClient({}, (client) => Promise.all([client.getPackument('a'), client.getPackument('@s/b')]))
    const files = await cacheFiles()
    expect(files).toHaveLength(2)
    expect(files.every((file) => file.endsWith('.json'))).toBe(true)
  })

  it('removes the temporary files of killed writers, never a live one, and this process its own', async () => {
    await withClient({}, (client) => client.getPackument('a'))
    const [cached] = await cacheFiles()
    const folder = join(cacheDir, 'metadata-v2')
    const file = join(folder, cached!)
    /** A temporary file as a writer in process `pid` names it, `ageMs` old. */
    const leave = async (pid: number, ageMs: number) => {
      const temp = tempFileFor(file, pid)
      await writeFile(temp, '{"url":')
      const then = new Date(Date.now() - ageMs)
      await utimes(temp, then, then)
      return temp.slice(folder.length + 1)
    }
    const twoMinutes = 2 * 60_000
    const killed = await leave(deadPid(), twoMinutes)
    const live = await leave(process.pid, twoMinutes)
    // Gone, but just written: a live writer elsewhere sharing the folder may own it.
    const fresh = await leave(deadPid(), 0)
    expect(await removeStaleTempFiles(cacheDir)).toBe(1)
    const left = await readdir(folder)
    expect(left.sort()).toEqual([cached, live, fresh].sort())
    expect(left).not.toContain(killed)
    // The entry itself is untouched: read offline.
    await withClient({ offline: true }, (client) => client.getPackument('a'))

    expect(removeOwnTempFilesSync(cacheDir)).toBe(1)
    expect((await readdir(folder)).sort()).toEqual([cached, fresh].sort())
    expect(await removeStaleTempFiles(join(cacheDir, 'nothing-here'))).toBe(0)
  })
})
