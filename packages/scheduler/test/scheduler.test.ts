import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createContentCache } from '@tote/content-cache'
import { createDownloader } from '@tote/downloader'
import { createRegistryClient, type RegistryClient } from '@tote/registry-client'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { isToteError } from '@tote/types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createScheduler, type ScheduledPackage, type SchedulerEvent } from '../src/index.js'
import { sourceOf, stages } from './_stages.js'

let registry: TestRegistry
let client: RegistryClient

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: {
      a: { versions: { '1.0.0': { files: { 'index.js': 'module.exports = "a"\n', 'lib/x.js': 'x' } } } },
      b: { versions: { '2.0.0': { bin: { b: 'cli.js' }, files: { 'cli.js': '#!/usr/bin/env node\n' } } } },
      c: { versions: { '3.0.0': { scripts: { postinstall: 'node x' } } } },
      // tarballs of different sizes (text that gzip cannot shrink much)
      medium: { versions: { '1.0.0': { files: { 'data.txt': noise(8_000) } } } },
      large: { versions: { '1.0.0': { files: { 'data.txt': noise(60_000) } } } },
    },
  })
  client = createRegistryClient({ registry: registry.url, retries: 1, retryMinTimeout: 5, workers: 0 })
})
afterAll(async () => {
  await client.close()
  await registry.close()
})

/** `length` characters of deterministic noise (a linear congruential generator), which gzip cannot shrink much. */
function noise(length: number): string {
  let state = 12345
  let text = ''
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) % 2147483648
    text += String.fromCharCode(33 + (state % 94))
  }
  return text
}

function scratch() {
  const root = mkdtempSync(join(tmpdir(), 'tote-scheduler-'))
  return { project: join(root, 'project'), cacheDir: join(root, 'cache') }
}

function planned(
  project: string,
  name: string,
  version: string,
  path = `node_modules/${name}`,
): ScheduledPackage {
  return {
    path,
    name,
    version,
    integrity: registry.integrity(name, version),
    tarballUrl: registry.tarballUrl(name, version),
    hasInstallScript: name === 'c',
    destDir: join(project, path),
  }
}

function tarballRequests(): number {
  return registry.requests.filter((request) => request.path.endsWith('.tgz')).length
}

describe('createScheduler', () => {
  it('installs from an empty cache, then from the warm cache without downloading', async () => {
    const { project, cacheDir } = scratch()
    const events: SchedulerEvent[] = []
    const scheduler = createScheduler(createDownloader(client), {
      stages: stages(cacheDir),
      workers: 2,
      onEvent: (e) => events.push(e),
    })
    try {
      const packages = [
        planned(project, 'a', '1.0.0'),
        planned(project, 'a', '1.0.0', 'node_modules/b/node_modules/a'),
        planned(project, 'b', '2.0.0'),
        planned(project, 'c', '3.0.0'),
      ]
      const before = tarballRequests()
      const cold = await scheduler.install(packages)
      expect(cold).toMatchObject({ packages: 4, downloaded: 3 })
      expect(tarballRequests() - before).toBe(3)
      expect(readFileSync(join(project, 'node_modules/a/lib/x.js'), 'utf8')).toBe('x')
      expect(readFileSync(join(project, 'node_modules/b/node_modules/a/index.js'), 'utf8')).toContain('"a"')
      // Hard links into the cache, except for the package with an install script.
      expect(statSync(join(project, 'node_modules/a/index.js')).nlink).toBeGreaterThan(1)
      expect(statSync(join(project, 'node_modules/c/package.json')).nlink).toBe(1)
      expect(events.some((e) => e.type === 'job-end' && e.kind === 'unpack' && e.thread > 0)).toBe(true)

      const second = join(project, '..', 'second')
      const warm = await scheduler.install(packages.map((p) => ({ ...p, destDir: join(second, p.path) })))
      expect(warm).toMatchObject({ packages: 4, downloaded: 0 })
      expect(tarballRequests() - before).toBe(3)
      expect(readFileSync(join(second, 'node_modules/b/cli.js'), 'utf8')).toContain('#!/usr/bin/env node')
    } finally {
      await scheduler.close()
    }
  })

  it('fetches a damaged cache entry again', async () => {
    const { project, cacheDir } = scratch()
    const scheduler = createScheduler(createDownloader(client), { stages: stages(cacheDir), workers: 1 })
    try {
      await scheduler.install([planned(project, 'a', '1.0.0')])
      // Damage the entry: remove one of its files.
      const found = createContentCache({ dir: cacheDir }).lookupSync(registry.integrity('a', '1.0.0'), {
        name: 'a',
        version: '1.0.0',
      })
      if (found.status !== 'found') throw new Error(`a@1.0.0 is not cached: ${found.status}`)
      rmSync(join(found.entry.dir, 'lib', 'x.js'))
      const again = join(project, '..', 'again')
      const before = tarballRequests()
      const stats = await scheduler.install([{ ...planned(again, 'a', '1.0.0') }])
      expect(stats.downloaded).toBe(1)
      expect(tarballRequests() - before).toBe(1)
      expect(readFileSync(join(again, 'node_modules/a/lib/x.js'), 'utf8')).toBe('x')
    } finally {
      await scheduler.close()
    }
  })

  it('fetches again an entry whose file was edited through a hard link, and warns', async () => {
    const { project, cacheDir } = scratch()
    const events: SchedulerEvent[] = []
    const scheduler = createScheduler(createDownloader(client), {
      stages: stages(cacheDir, {
        cloner: { module: sourceOf('@tote/cloner'), options: { strategy: 'hardlink', stateDir: cacheDir } },
      }),
      workers: 1,
      onEvent: (e) => events.push(e),
    })
    try {
      await scheduler.install([planned(project, 'a', '1.0.0')])
      // Edited in place, in this project: the cache's file is the same inode, so it changed too.
      const edited = join(project, 'node_modules/a/lib/x.js')
      writeFileSync(edited, 'y')
      const later = new Date(Date.now() + 60_000)
      utimesSync(edited, later, later)
      const again = join(project, '..', 'again')
      const before = tarballRequests()
      const stats = await scheduler.install([planned(again, 'a', '1.0.0')])
      expect(stats).toMatchObject({ packages: 1, downloaded: 1 })
      expect(tarballRequests() - before).toBe(1)
      expect(readFileSync(join(again, 'node_modules/a/lib/x.js'), 'utf8')).toBe('x')
      expect(readFileSync(edited, 'utf8')).toBe('y') // that project keeps its edit, alone
      expect(statSync(edited).nlink).toBe(1)
      expect(events).toContainEqual({
        type: 'warning',
        id: expect.stringMatching(/^clone#/),
        warning: {
          code: 'ECACHEDAMAGED',
          message:
            'The cached copy of a@1.0.0 is damaged (lib/x.js was modified after it was cached); fetching it again.',
          package: 'a@1.0.0',
        },
      })
    } finally {
      await scheduler.close()
    }
  })

  it("never gives a package another package's entry, whatever integrity the lockfile gives it", async () => {
    const { project, cacheDir } = scratch()
    const events: SchedulerEvent[] = []
    const scheduler = createScheduler(createDownloader(client), {
      stages: stages(cacheDir),
      workers: 0,
      onEvent: (e) => events.push(e),
    })
    try {
      // b carries a's integrity: it is fetched from its own URL, which does not match.
      const tampered = { ...planned(project, 'b', '2.0.0'), integrity: registry.integrity('a', '1.0.0') }
      await expect(scheduler.install([planned(project, 'a', '1.0.0'), tampered])).rejects.toMatchObject({
        code: 'EINTEGRITY',
        details: { url: registry.tarballUrl('b', '2.0.0') },
      })
      expect(readFileSync(join(project, 'node_modules/a/index.js'), 'utf8')).toContain('"a"')
      expect(existsSync(join(project, 'node_modules/b'))).toBe(false)

      // The same with a's entry already in the cache: it is not used for b.
      const second = join(project, '..', 'second')
      await expect(
        scheduler.install([{ ...tampered, destDir: join(second, tampered.path) }]),
      ).rejects.toMatchObject({
        code: 'EINTEGRITY',
      })
      expect(existsSync(join(second, 'node_modules/b'))).toBe(false)
      expect(events).toContainEqual({
        type: 'warning',
        id: expect.stringMatching(/^clone#/),
        warning: expect.objectContaining({ code: 'ECACHEOTHERPACKAGE', package: 'b@2.0.0' }),
      })
      const third = join(project, '..', 'third')
      expect(await scheduler.install([planned(third, 'a', '1.0.0')])).toMatchObject({ downloaded: 0 })
    } finally {
      await scheduler.close()
    }
  })

  it('fetches again a prefetched entry that was damaged before install() cloned it', async () => {
    const { project, cacheDir } = scratch()
    const scheduler = createScheduler(createDownloader(client), { stages: stages(cacheDir), workers: 0 })
    try {
      const pkg = planned(project, 'a', '1.0.0')
      scheduler.prefetch(pkg)
      const cache = createContentCache({ dir: cacheDir })
      let found = cache.lookupSync(pkg.integrity, pkg)
      while (found.status !== 'found') {
        await new Promise((resolve) => setTimeout(resolve, 5))
        found = cache.lookupSync(pkg.integrity, pkg)
      }
      rmSync(join(found.entry.dir, 'index.js'))
      const before = tarballRequests()
      expect(await scheduler.install([pkg])).toMatchObject({ packages: 1, downloaded: 1 })
      expect(tarballRequests() - before).toBe(1)
      expect(readFileSync(join(project, 'node_modules/a/index.js'), 'utf8')).toContain('"a"')
    } finally {
      await scheduler.close()
    }
  })

  it('rejects a tarball that fails its integrity check and caches nothing', async () => {
    const { project, cacheDir } = scratch()
    const scheduler = createScheduler(createDownloader(client), { stages: stages(cacheDir), workers: 1 })
    try {
      const wrong = { ...planned(project, 'a', '1.0.0'), integrity: registry.integrity('b', '2.0.0') }
      await expect(scheduler.install([wrong])).rejects.toMatchObject({ code: 'EINTEGRITY' })
      const cache = createContentCache({ dir: cacheDir })
      expect(cache.has(registry.integrity('a', '1.0.0'))).toBe(false)
      expect(cache.has(registry.integrity('b', '2.0.0'))).toBe(false)
      expect((await cache.verify()).entries).toBe(0)
      expect(existsSync(join(project, 'node_modules/a'))).toBe(false)
    } finally {
      await scheduler.close()
    }
  })

  it('downloads a prefetched package once, and installs it from the prefetch', async () => {
    const { project, cacheDir } = scratch()
    const scheduler = createScheduler(createDownloader(client), { stages: stages(cacheDir), workers: 1 })
    try {
      const before = tarballRequests()
      const pkg = planned(project, 'b', '2.0.0')
      scheduler.prefetch(pkg)
      scheduler.prefetch(pkg)
      const stats = await scheduler.install([pkg])
      expect(stats.packages).toBe(1)
      expect(tarballRequests() - before).toBe(1)
      expect(existsSync(join(project, 'node_modules/b/cli.js'))).toBe(true)
    } finally {
      await scheduler.close()
    }
  })

  it('after warmUp of a small install, unpacks prefetches on the calling thread: no threads start', async () => {
    const { project, cacheDir } = scratch()
    const events: SchedulerEvent[] = []
    const scheduler = createScheduler(createDownloader(client), {
      stages: stages(cacheDir),
      onEvent: (e) => events.push(e),
    })
    try {
      scheduler.warmUp(1)
      const pkg = planned(project, 'b', '2.0.0')
      scheduler.prefetch(pkg)
      // the prefetch is downloaded, and waits for install() to say where it is unpacked
      await new Promise((resolve) => setTimeout(resolve, 200))
      const stats = await scheduler.install([pkg])
      expect(stats).toMatchObject({ packages: 1, downloaded: 1 })
      expect(existsSync(join(project, 'node_modules/b/cli.js'))).toBe(true)
      // one task: the prefetch, not yet unpacked when install() came, is unpacked straight into
      // node_modules/b (not read back from the cache by a clone task)
      const jobs = events.filter((e) => e.type === 'job-end' && e.kind !== 'download')
      expect(jobs.map((e) => e.type === 'job-end' && `${e.kind} on thread ${e.thread}`)).toEqual([
        'unpack on thread 0',
      ])
    } finally {
      await scheduler.close()
    }
  })

  it('unpacks the largest waiting tarball first, and places prefetches install() caught before they were unpacked', async () => {
    const { project, cacheDir } = scratch()
    const events: SchedulerEvent[] = []
    const scheduler = createScheduler(createDownloader(client), {
      stages: stages(cacheDir),
      onEvent: (e) => events.push(e),
    })
    try {
      // a small install: the prefetches are downloaded and held until install() says where to unpack
      scheduler.warmUp(3)
      const packages = [
        planned(project, 'a', '1.0.0'),
        planned(project, 'large', '1.0.0'),
        planned(project, 'medium', '1.0.0'),
      ]
      for (const pkg of packages) scheduler.prefetch(pkg)
      // all three downloaded (and held) before install()
      const downloaded = () => events.filter((e) => e.type === 'job-end' && e.kind === 'download').length
      while (downloaded() < 3) await new Promise((resolve) => setTimeout(resolve, 10))
      const stats = await scheduler.install(packages)
      expect(stats).toMatchObject({ packages: 3, downloaded: 3 })
      expect(readFileSync(join(project, 'node_modules/large/data.txt'), 'utf8')).toBe(noise(60_000))
      const bytes = new Map(
        events.flatMap((e) => (e.type === 'job-end' && e.kind === 'download' ? [[e.label, e.bytes]] : [])),
      )
      expect(bytes.get('large@1.0.0')).toBeGreaterThan(bytes.get('medium@1.0.0')!)
      expect(bytes.get('medium@1.0.0')).toBeGreaterThan(bytes.get('a@1.0.0')!)
      // in order of size, whatever order they were asked for and arrived in; each unpacked straight
      // into node_modules (no clone task reads it back from the cache)
      const jobs = events.flatMap((e) => (e.type === 'job-end' && e.kind !== 'download' ? [e] : []))
      expect(jobs.map((e) => `${e.kind} ${e.label} placed ${e.packages}`)).toEqual([
        'unpack large@1.0.0 placed 1',
        'unpack medium@1.0.0 placed 1',
        'unpack a@1.0.0 placed 1',
      ])
    } finally {
      await scheduler.close()
    }
  })

  it('gives install() the failure of a prefetch that used up its tries, without downloading again', async () => {
    const { project, cacheDir } = scratch()
    const scheduler = createScheduler(createDownloader(client), { stages: stages(cacheDir), workers: 0 })
    const path = registry.tarballPath('b', '2.0.0')
    registry.fault(path, { status: 503 })
    try {
      const before = registry.requests.filter((request) => request.path === path).length
      const pkg = planned(project, 'b', '2.0.0')
      scheduler.prefetch(pkg)
      // The client's tries (1 + retries) were all the prefetch's; install() reports them as they are.
      await expect(scheduler.install([pkg])).rejects.toMatchObject({ code: 'EHTTP', details: { tries: 2 } })
      expect(registry.requests.filter((request) => request.path === path).length - before).toBe(2)
      expect(existsSync(join(project, 'node_modules/b'))).toBe(false)
    } finally {
      registry.clearFaults()
      await scheduler.close()
    }
  })

  it('runs prefetches a few at a time until install() needs the packages, then more', async () => {
    const { project, cacheDir } = scratch()
    let running = 0
    let mostAtOnce = 0
    const gates: (() => void)[] = []
    const waiting: { count: number; resolve: () => void }[] = []
    /** Resolves once `count` downloads are running at the same time. */
    const runningReaches = (count: number) => new Promise<void>((resolve) => waiting.push({ count, resolve }))
    const downloader = createDownloader(client)
    const download: typeof downloader.download = async (request, options) => {
      running++
      mostAtOnce = Math.max(mostAtOnce, running)
      for (const wait of waiting) if (running >= wait.count) wait.resolve()
      await new Promise<void>((resolve) => gates.push(resolve))
      try {
        return await downloader.download(request, options)
      } finally {
        running--
      }
    }
    const scheduler = createScheduler(
      { download },
      { stages: stages(cacheDir), workers: 0, prefetchConcurrency: 1, downloadConcurrency: 3 },
    )
    try {
      const packages = [
        planned(project, 'a', '1.0.0'),
        planned(project, 'b', '2.0.0'),
        planned(project, 'c', '3.0.0'),
      ]
      for (const pkg of packages) scheduler.prefetch(pkg)
      await runningReaches(1)
      // Time for more to start, were they allowed to.
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(running).toBe(1)
      const installed = scheduler.install(packages)
      await runningReaches(3)
      for (const open of gates.splice(0)) open()
      expect((await installed).packages).toBe(3)
      expect(mostAtOnce).toBe(3)
    } finally {
      await scheduler.close()
    }
  })

  it('reports a hostile tarball entry as a warning and writes nothing outside the package', async () => {
    const { project, cacheDir } = scratch()
    const { createTarball } = await import('@tote/test-registry')
    registry.addPackages({
      evil: {
        versions: {
          '1.0.0': {
            tarball: createTarball([
              { path: 'package/package.json', content: '{"name":"evil","version":"1.0.0"}' },
              { path: 'package/../../escaped.js', content: 'x' },
            ]),
          },
        },
      },
    })
    const events: SchedulerEvent[] = []
    const scheduler = createScheduler(createDownloader(client), {
      stages: stages(cacheDir),
      workers: 1,
      onEvent: (e) => events.push(e),
    })
    try {
      await scheduler.install([planned(project, 'evil', '1.0.0')])
      expect(events).toContainEqual(
        expect.objectContaining({
          type: 'warning',
          warning: expect.objectContaining({ code: 'ETARBADENTRY' }),
        }),
      )
      expect(existsSync(join(project, 'escaped.js'))).toBe(false)
      expect(existsSync(join(project, 'node_modules', 'escaped.js'))).toBe(false)
    } finally {
      await scheduler.close()
    }
  })

  it('tells onPlaced about each package once its folder is complete, while the others are still being placed', async () => {
    const { project, cacheDir } = scratch()
    const downloader = createDownloader(client)
    let aPlaced: () => void = () => {}
    const aIsPlaced = new Promise<void>((resolve) => {
      aPlaced = resolve
    })
    // b's tarball is only fetched once a has been reported placed: the install finishes only if
    // onPlaced comes while it goes on.
    const scheduler = createScheduler(
      {
        download: async (request, options) => {
          if (request.name === 'b') await aIsPlaced
          return downloader.download(request, options)
        },
      },
      { stages: stages(cacheDir), workers: 2 },
    )
    try {
      const placed: string[] = []
      const onPlaced = (pkg: ScheduledPackage) => {
        // complete when told: its package.json is there
        placed.push(`${pkg.path}:${existsSync(join(pkg.destDir, 'package.json'))}`)
        if (pkg.name === 'a') aPlaced()
      }
      const broken = { ...planned(project, 'c', '3.0.0'), integrity: registry.integrity('a', '1.0.0') }
      await scheduler.install(
        [
          planned(project, 'a', '1.0.0'),
          planned(project, 'a', '1.0.0', 'node_modules/b/node_modules/a'),
          planned(project, 'b', '2.0.0'),
          broken,
        ],
        { isOptional: (pkg) => pkg.name === 'c', onPlaced },
      )
      expect(placed.sort()).toEqual([
        'node_modules/a:true',
        'node_modules/b/node_modules/a:true',
        'node_modules/b:true',
      ])
      // From the cache (clone tasks) too.
      const warm = join(project, '..', 'warm')
      const again: string[] = []
      await scheduler.install([planned(warm, 'a', '1.0.0'), planned(warm, 'b', '2.0.0')], {
        onPlaced: (pkg) => again.push(pkg.path),
      })
      expect(again.sort()).toEqual(['node_modules/a', 'node_modules/b'])
    } finally {
      await scheduler.close()
    }
  })

  it('goes on without an optional package that fails, and rejects for a required one', async () => {
    const { project, cacheDir } = scratch()
    const scheduler = createScheduler(createDownloader(client), { stages: stages(cacheDir), workers: 0 })
    try {
      const broken = { ...planned(project, 'b', '2.0.0'), integrity: registry.integrity('a', '1.0.0') }
      const failures: string[] = []
      const stats = await scheduler.install([planned(project, 'c', '3.0.0'), broken], {
        isOptional: (pkg) => pkg.name === 'b',
        onOptionalFailure: (pkg, error) => failures.push(`${pkg.name}:${(error as { code?: string }).code}`),
      })
      expect(failures).toEqual(['b:EINTEGRITY'])
      expect(stats.packages).toBe(1)
      expect(existsSync(join(project, 'node_modules/c/package.json'))).toBe(true)
      expect(existsSync(join(project, 'node_modules/b'))).toBe(false)

      const other = join(project, '..', 'other')
      await expect(
        scheduler.install([{ ...broken, destDir: join(other, broken.path) }]),
      ).rejects.toMatchObject({
        code: 'EINTEGRITY',
      })
    } finally {
      await scheduler.close()
    }
  })

  it('gives every warning to the task that raised it when tasks overlap on one thread', async () => {
    // 40 packages, each cloned by a cloner that warns once per package. Half are prefetched first:
    // install() clones those as their prefetches land, while it downloads, unpacks and clones the
    // others, so that tasks on the calling thread overlap at every await.
    const names = Array.from({ length: 40 }, (_, i) => `warn-${i}`)
    registry.addPackages(Object.fromEntries(names.map((name) => [name, { versions: { '1.0.0': {} } }])))
    const { project, cacheDir } = scratch()
    const events: SchedulerEvent[] = []
    const cloner = { module: new URL('./fixtures/warning-cloner.mjs', import.meta.url) }
    const scheduler = createScheduler(createDownloader(client), {
      stages: stages(cacheDir, { cloner }),
      workers: 0,
      onEvent: (e) => events.push(e),
    })
    try {
      const packages = names.map((name) => planned(project, name, '1.0.0'))
      for (const pkg of packages.filter((_, i) => i % 2 === 0)) scheduler.prefetch(pkg)
      expect(await scheduler.install(packages)).toMatchObject({ packages: 40 })
      const warned = events.flatMap((e) => (e.type === 'warning' ? [e.warning.package] : []))
      expect(warned.sort()).toEqual(packages.map((pkg) => pkg.destDir).sort())
      // Each came with the job that raised it, before that job's end: the job that placed its package.
      for (const [at, event] of events.entries()) {
        if (event.type !== 'warning') continue
        const end = events.findIndex((e) => e.type === 'job-end' && e.id === event.id)
        expect(end).toBeGreaterThan(at)
        expect(events[end]).toMatchObject({ packages: 1 })
      }
    } finally {
      await scheduler.close()
    }
  })

  it('takes every stage from the module it is given: all three swapped at once, in worker threads', async () => {
    const { project, cacheDir } = scratch()
    const log = join(cacheDir, '..', 'added.log')
    const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url)
    const scheduler = createScheduler(createDownloader(client), {
      stages: {
        extractor: { module: fixture('recording-extractor.mjs') },
        contentCache: { module: fixture('recording-cache.mjs'), options: { dir: cacheDir, log } },
        cloner: { module: fixture('marking-cloner.mjs') },
      },
      workers: 1,
    })
    try {
      await scheduler.install([planned(project, 'a', '1.0.0'), planned(project, 'b', '2.0.0')])
      for (const name of ['a', 'b']) {
        const dir = join(project, 'node_modules', name)
        expect(readFileSync(join(dir, 'EXTRACTED-BY'), 'utf8')).toBe('recording-extractor')
        expect(readFileSync(join(dir, '.cloned-by'), 'utf8')).toBe('marking-cloner')
      }
      expect(readFileSync(log, 'utf8').split('\n').sort()).toEqual(['', 'a@1.0.0', 'b@2.0.0'])
    } finally {
      await scheduler.close()
    }
  })

  it('rejects with ESTAGEMODULE for a module that exports no stage factory', async () => {
    const { project, cacheDir } = scratch()
    const notAStage = { module: new URL('./fixtures/not-a-stage.mjs', import.meta.url) }
    for (const workers of [0, 1]) {
      const scheduler = createScheduler(createDownloader(client), {
        stages: stages(cacheDir, { cloner: notAStage }),
        workers,
      })
      try {
        const error = await scheduler.install([planned(join(project, String(workers)), 'a', '1.0.0')]).then(
          () => undefined,
          (e: unknown) => e,
        )
        expect(isToteError(error)).toBe(true)
        expect(error).toMatchObject({
          code: 'ESTAGEMODULE',
          message: `The cloner module ${notAStage.module.href} does not export createCloner(options)`,
          details: { stage: 'cloner' },
        })
      } finally {
        await scheduler.close()
      }
    }
    const broken = createScheduler(createDownloader(client), {
      stages: stages(cacheDir, { contentCache: { module: join(cacheDir, 'no-such-module.mjs') } }),
    })
    try {
      await expect(broken.install([planned(project, 'a', '1.0.0')])).rejects.toMatchObject({
        code: 'ESTAGEMODULE',
        details: { stage: 'contentCache' },
      })
    } finally {
      await broken.close()
    }
  })

  it('moves a downloaded tarball to a worker, but copies a view into a larger buffer', async () => {
    const { project, cacheDir } = scratch()
    const downloader = createDownloader(client)
    const backings: { backing: Uint8Array; size: number }[] = []
    const download: typeof downloader.download = async (request, options) => {
      const { data, integrity } = await downloader.download(request, options)
      // A view into a larger buffer, as a pooled Buffer or a subarray would be.
      const backing = new Uint8Array(data.byteLength + 100)
      backing.set(data, 50)
      backings.push({ backing, size: backing.byteLength })
      return { data: Buffer.from(backing.buffer, 50, data.byteLength), integrity }
    }
    const scheduler = createScheduler({ download }, { stages: stages(cacheDir), workers: 1 })
    try {
      await scheduler.install([planned(project, 'a', '1.0.0')])
      expect(readFileSync(join(project, 'node_modules/a/lib/x.js'), 'utf8')).toBe('x')
      expect(backings).toHaveLength(1)
      // Not detached: its neighbours' bytes are still there.
      expect(backings[0]!.backing.byteLength).toBe(backings[0]!.size)
    } finally {
      await scheduler.close()
    }
  })

  it('clones with another cloner module when one is named, in worker threads too', async () => {
    const { project, cacheDir } = scratch()
    const cloner = { module: new URL('./fixtures/marking-cloner.mjs', import.meta.url).href }
    const scheduler = createScheduler(createDownloader(client), {
      stages: stages(cacheDir, { cloner }),
      workers: 1,
    })
    try {
      await scheduler.install([planned(project, 'a', '1.0.0')])
      const second = join(project, '..', 'second')
      await scheduler.install([{ ...planned(second, 'a', '1.0.0') }])
      for (const root of [project, second]) {
        expect(readFileSync(join(root, 'node_modules/a/.cloned-by'), 'utf8')).toBe('marking-cloner')
        expect(statSync(join(root, 'node_modules/a/index.js')).nlink).toBe(1)
      }
    } finally {
      await scheduler.close()
    }
  })
})
