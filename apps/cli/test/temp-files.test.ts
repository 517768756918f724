// tote's temporary files: a run cleans up what killed runs left, and an interrupted run (SIGINT,
// SIGTERM) removes its own before it exits.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { scratch, startTote, tote } from './_tote.js'

let registry: TestRegistry

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: {
      app: { versions: { '1.0.0': { dependencies: { lib: '^1.0.0', tool: '^1.0.0' } } } },
      lib: { versions: { '1.0.0': { files: { 'index.js': 'module.exports = "lib"\n' } } } },
      tool: { versions: { '1.0.0': { bin: { tool: 'cli.js' } } } },
    },
  })
})
afterAll(() => registry.close())
afterEach(() => registry.clearFaults())

type Project = ReturnType<typeof scratch>

/**
 * Where each writer puts its temporary files, and how it names them for process `pid`, written out
 * here on their own so that a change of name in a writer that its clean-up misses fails this test.
 */
function tempKinds(project: Project, pid: number) {
  return [
    {
      folder: join(project.cache, 'tmp'),
      name: new RegExp(`^[a-z]+-${pid}-[0-9a-f]+$`),
      plant: `add-${pid}-0a1b2c3d4e5f`,
    },
    {
      folder: join(project.cache, 'metadata-v2'),
      name: new RegExp(`\\.json\\.${pid}-\\d+-\\d+\\.tmp$`),
      plant: `lib-0123456789abcdef.json.${pid}-0-7.tmp`,
    },
    {
      folder: project.cache,
      name: new RegExp(`^clone-strategy\\.json\\.${pid}\\.[0-9a-f-]+\\.tmp$`),
      plant: `clone-strategy.json.${pid}.1700000000000.tmp`,
    },
    {
      folder: project.dir,
      name: new RegExp(`^\\.package-lock\\.json\\.${pid}-[0-9a-f]{12}\\.tmp$`),
      plant: `.package-lock.json.${pid}-00aa11bb22cc.tmp`,
    },
    {
      folder: join(project.dir, 'node_modules'),
      name: new RegExp(`^\\.\\.package-lock\\.json\\.${pid}-[0-9a-f]{12}\\.tmp$`),
      plant: `..package-lock.json.${pid}-33dd44ee55ff.tmp`,
    },
  ]
}

/** The temporary files of process `pid` in the project and its cache, as paths from the scratch root. */
function tempFilesOf(project: Project, pid: number): string[] {
  const root = join(project.dir, '..')
  return tempKinds(project, pid).flatMap(({ folder, name }) =>
    existsSync(folder)
      ? readdirSync(folder)
          .filter((entry) => name.test(entry))
          .map((entry) => join(folder, entry).slice(root.length + 1))
      : [],
  )
}

/**
 * Lays down one temporary file of each kind for process `pid`, as its writers name them (a staging
 * folder with a half-written package in it for the content cache). `ageMs` backdates them.
 */
function plantTempFiles(project: Project, pid: number, ageMs = 0): string[] {
  const then = new Date(Date.now() - ageMs)
  for (const { folder, plant } of tempKinds(project, pid)) {
    const path = join(folder, plant)
    mkdirSync(folder, { recursive: true })
    if (plant.endsWith('.tmp')) writeFileSync(path, '{"half": ')
    else {
      mkdirSync(join(path, 'package'), { recursive: true })
      writeFileSync(join(path, 'package', 'index.js'), '// half')
    }
    utimesSync(path, then, then)
  }
  return tempFilesOf(project, pid)
}

/** A process id that no process has now: a child that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid
}

const options = (project: Project) => ({ ...project, cwd: project.dir, registry: registry.url })

describe('temporary files', () => {
  it('are removed by the next run when their process is dead; a live process keeps its own', async () => {
    const project = scratch({ dependencies: { app: '1.0.0' } })
    // A run killed (kill -9) while it waits for tarballs: nothing of it can clean up.
    registry.fault(/\.tgz$/, { delayMs: 20_000 })
    const killed = startTote(['install', '--verbose'], options(project))
    await killed.saidOnStderr('tote: installing')
    killed.child.kill('SIGKILL')
    expect((await killed.exited).signal).toBe('SIGKILL')
    registry.clearFaults()
    // What it had on disk when it was killed (metadata cache writes, usually), and one file of each
    // kind as it might have had: made two minutes old, past the grace a gone process's files get.
    // The same for this (live) process.
    const twoMinutes = 2 * 60_000
    const left = plantTempFiles(project, killed.pid)
    const then = new Date(Date.now() - twoMinutes)
    for (const path of left) utimesSync(join(project.dir, '..', path), then, then)
    const live = plantTempFiles(project, process.pid, twoMinutes)
    // Just written by a process that is gone: within the grace that spares a writer on another host.
    const recent = deadPid()
    const fresh = plantTempFiles(project, recent)
    expect(left.length).toBeGreaterThanOrEqual(5)

    const result = await tote(['install'], options(project))
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(tempFilesOf(project, killed.pid)).toEqual([])
    expect(tempFilesOf(project, process.pid)).toEqual(live)
    expect(tempFilesOf(project, recent)).toEqual(fresh)
    expect(existsSync(join(project.dir, 'node_modules/lib/index.js'))).toBe(true)
  })

  it('are removed on SIGINT, which exits 130 with one line on what state the install is in', async () => {
    const project = scratch({ dependencies: { app: '1.0.0' } })
    registry.fault(/\.tgz$/, { delayMs: 20_000 })
    const run = startTote(['install', '--verbose'], options(project))
    await run.saidOnStderr('tote: installing')
    // Its writers hold temporary files only for moments, which a signal cannot be timed to hit:
    // one of each kind, named for this process as its writers name theirs, stands for them.
    expect(plantTempFiles(project, run.pid).length).toBeGreaterThanOrEqual(5)
    run.child.kill('SIGINT')
    const end = await run.exited
    expect(end).toMatchObject({ code: 130, signal: null })
    const lines = end.stderr.trimEnd().split('\n')
    expect(lines.filter((line) => line.includes('interrupted'))).toEqual([
      'tote: install interrupted (SIGINT); package-lock.json is as it was, node_modules is incomplete: run `tote install` to finish it',
    ])
    // The last thing it says: no error about the work it stopped.
    expect(lines.at(-1)).toContain('interrupted')
    expect(tempFilesOf(project, run.pid)).toEqual([])
    // Nor does it leave its project lock for the next run to find stale (its in-progress marker
    // stays, on purpose: it names what the next run must not trust).
    expect(existsSync(join(project.dir, 'node_modules/.tote-lock'))).toBe(false)
    expect(existsSync(join(project.dir, 'node_modules/.tote-install-in-progress'))).toBe(true)

    registry.clearFaults()
    const again = await tote(['install'], options(project))
    expect(again).toMatchObject({ code: 0, stderr: '' })
    expect(existsSync(join(project.dir, 'node_modules/.bin/tool'))).toBe(true)
  })

  it('are removed on SIGTERM while resolving, which exits 143 and changed nothing', async () => {
    const project = scratch({ dependencies: { app: '1.0.0' } })
    registry.fault(registry.packumentPath('lib'), { delayMs: 20_000 })
    const run = startTote(['install', '--verbose'], options(project))
    await run.saidOnStderr('tote: resolving')
    plantTempFiles(project, run.pid)
    run.child.kill('SIGTERM')
    const end = await run.exited
    expect(end).toMatchObject({ code: 143, signal: null })
    expect(end.stderr.trimEnd().split('\n').at(-1)).toBe(
      'tote: install interrupted (SIGTERM); package-lock.json and node_modules are as they were',
    )
    expect(tempFilesOf(project, run.pid)).toEqual([])
    expect(existsSync(join(project.dir, 'package-lock.json'))).toBe(false)
    // Its project lock is released too: node_modules, which the run made, is gone again.
    expect(existsSync(join(project.dir, 'node_modules'))).toBe(false)
  })

  it('are removed when `tote ci` is hung up on (SIGHUP), which exits 129', async () => {
    const project = scratch({ dependencies: { app: '1.0.0' } })
    expect((await tote(['install', '--lockfile-only'], options(project))).code).toBe(0)
    registry.fault(/\.tgz$/, { delayMs: 20_000 })
    const run = startTote(['ci', '--verbose'], options(project))
    await run.saidOnStderr('tote: installing')
    plantTempFiles(project, run.pid)
    run.child.kill('SIGHUP')
    const end = await run.exited
    expect(end).toMatchObject({ code: 129, signal: null })
    expect(end.stderr.trimEnd().split('\n').at(-1)).toBe(
      'tote: ci interrupted (SIGHUP); node_modules is incomplete: run `tote ci` again',
    )
    expect(tempFilesOf(project, run.pid)).toEqual([])
  })
})
