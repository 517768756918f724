import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDownloader } from '@tote/downloader'
import { createRegistryClient, type RegistryClient } from '@tote/registry-client'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createScheduler,
  type ScheduledPackage,
  type SchedulerEvent,
  type ScriptStage,
} from '../src/index.js'
import { stages } from './_stages.js'

// Script jobs queued by the scheduler, against the loopback registry and real folders: the stage
// given here stands in for tote's (which spawns the packages' scripts); it writes and reads files.

let registry: TestRegistry
let client: RegistryClient

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: {
      leaf: { versions: { '1.0.0': { scripts: { postinstall: 'true' } } } },
      uses: { versions: { '1.0.0': { dependencies: { leaf: '1.0.0' }, scripts: { postinstall: 'true' } } } },
      late: { versions: { '1.0.0': {} } },
    },
  })
  client = createRegistryClient({ registry: registry.url, retries: 1, retryMinTimeout: 5, workers: 0 })
})
afterAll(async () => {
  await client.close()
  await registry.close()
})

function planned(project: string, name: string): ScheduledPackage {
  const path = `node_modules/${name}`
  return {
    path,
    name,
    version: '1.0.0',
    integrity: registry.integrity(name, '1.0.0'),
    tarballUrl: registry.tarballUrl(name, '1.0.0'),
    hasInstallScript: name !== 'late',
    destDir: join(project, path),
  }
}

/** What the lockfile would say: uses depends on leaf. */
const DEPENDENCIES: Record<string, string[]> = {
  'node_modules/uses': ['node_modules/leaf'],
  'node_modules/leaf': [],
  'node_modules/late': [],
}

/**
 * A stage whose job for a package notes what was on disk when it started (its dependencies' built.txt,
 * late's package.json), takes a moment, then writes the package's built.txt. `fail` names a package
 * whose job fails.
 */
function recordingStage(project: string, options: { fail?: string; onStart?: (name: string) => void } = {}) {
  const log: string[] = []
  const sawAtStart: Record<string, { dependenciesBuilt: boolean[]; latePlaced: boolean }> = {}
  const stage: ScriptStage = {
    dependencies: (path) => DEPENDENCIES[path],
    // a job for each package with scripts, read from its placed package.json
    select: (path) => {
      const manifest = JSON.parse(readFileSync(join(project, path, 'package.json'), 'utf8'))
      return manifest.scripts?.postinstall !== undefined
    },
    async run(path) {
      const name = path.slice('node_modules/'.length)
      log.push(`start ${name}`)
      sawAtStart[name] = {
        dependenciesBuilt: DEPENDENCIES[path]!.map((dependency) =>
          existsSync(join(project, dependency, 'built.txt')),
        ),
        latePlaced: existsSync(join(project, 'node_modules/late/package.json')),
      }
      options.onStart?.(name)
      // long enough for a job that did not wait for this one to start meanwhile
      await new Promise((resolve) => setTimeout(resolve, 50))
      if (name === options.fail) {
        log.push(`failed ${name}`)
        throw new Error(`${name} failed`)
      }
      writeFileSync(join(project, path, 'built.txt'), name)
      log.push(`end ${name}`)
    },
  }
  return { stage, log, sawAtStart }
}

describe('script jobs', () => {
  it("start a package's job after its dependencies' jobs end, while the rest of the tree is still being placed", async () => {
    const root = mkdtempSync(join(tmpdir(), 'tote-script-jobs-'))
    const project = join(root, 'project')
    const downloader = createDownloader(client)
    let usesStarted: () => void = () => {}
    const usesHasStarted = new Promise<void>((resolve) => {
      usesStarted = resolve
    })
    const events: SchedulerEvent[] = []
    // late's tarball is only fetched once uses's job has started: the install ends only if jobs
    // start while it goes on
    const scheduler = createScheduler(
      {
        download: async (request, options) => {
          if (request.name === 'late') await usesHasStarted
          return downloader.download(request, options)
        },
      },
      { stages: stages(join(root, 'cache')), workers: 0, onEvent: (event) => events.push(event) },
    )
    try {
      const { stage, log, sawAtStart } = recordingStage(project, {
        onStart: (name) => name === 'uses' && usesStarted(),
      })
      // two at once could run: uses still waits for leaf
      const jobs = scheduler.scriptJobs(stage, { concurrency: 2 })
      await scheduler.install(
        ['late', 'uses', 'leaf'].map((name) => planned(project, name)),
        { scripts: jobs },
      )
      expect(await jobs.done()).toEqual({ ran: 2 })
      expect(log).toEqual(['start leaf', 'end leaf', 'start uses', 'end uses'])
      expect(sawAtStart.uses).toEqual({ dependenciesBuilt: [true], latePlaced: false })
      expect(readFileSync(join(project, 'node_modules/uses/built.txt'), 'utf8')).toBe('uses')
      expect(existsSync(join(project, 'node_modules/late/package.json'))).toBe(true)
      // each job is a job of the scheduler: its start and end, like a clone's
      const ends = events.filter((event) => event.type === 'job-end' && event.kind === 'scripts')
      expect(ends.map((event) => event.type === 'job-end' && event.label)).toEqual([
        'node_modules/leaf',
        'node_modules/uses',
      ])
      expect(events.filter((event) => event.type === 'job-start' && event.kind === 'scripts')).toHaveLength(2)
    } finally {
      await scheduler.close()
    }
  })

  it("fail with a job's error, and start no job of what depends on it", async () => {
    const root = mkdtempSync(join(tmpdir(), 'tote-script-jobs-'))
    const project = join(root, 'project')
    const scheduler = createScheduler(createDownloader(client), {
      stages: stages(join(root, 'cache')),
      workers: 0,
    })
    try {
      const { stage, log } = recordingStage(project, { fail: 'leaf' })
      const jobs = scheduler.scriptJobs(stage, { concurrency: 2 })
      await scheduler.install(
        ['uses', 'leaf'].map((name) => planned(project, name)),
        { scripts: jobs },
      )
      await expect(jobs.done()).rejects.toThrow('leaf failed')
      expect(log).toEqual(['start leaf', 'failed leaf'])
      expect(existsSync(join(project, 'node_modules/uses/built.txt'))).toBe(false)
    } finally {
      await scheduler.close()
    }
  })
})
