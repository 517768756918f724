import { spawnSync } from 'node:child_process'
import {
  constants,
  copyFileSync,
  linkSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { basename, join } from 'node:path'
import type { StageWarning } from '@tote/types'
import { isToteError } from '@tote/types'
import { describe, expect, it } from 'vitest'
import { temporaryFileFor } from '../src/_strategy-memory.js'
import type { CloneFs } from '../src/index.js'
import { createCloner, removeOwnTempFilesSync, removeStaleTempFiles, STRATEGY_FILE } from '../src/index.js'
import { errno, expectedFiles, inode, samplePackage, scratch, snapshot } from './helpers.js'

/** A process id that no process has now: a child that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid
}

/**
 * Real file system calls with failures injected: reflinks always fail like on ext4, and
 * `failLink(from)` returns the errno code a hard link of `from` fails with (or undefined).
 */
function simulatedFs(failLink: (from: string) => string | undefined, devices?: Record<string, number>) {
  const calls = { reflinks: 0, links: 0, copies: 0, stats: 0 }
  const fs: Partial<CloneFs> = {
    copyFileSync(src, dest, mode = 0) {
      if (mode & constants.COPYFILE_FICLONE_FORCE) {
        calls.reflinks++
        throw errno('EOPNOTSUPP', 'copyfile', src)
      }
      calls.copies++
      copyFileSync(src, dest, mode)
    },
    linkSync(from, to) {
      calls.links++
      const code = failLink(from)
      if (code !== undefined) throw errno(code, 'link', from)
      linkSync(from, to)
    },
    statSync(path) {
      calls.stats++
      const stats = statSync(path)
      const device = Object.entries(devices ?? {}).find(([prefix]) => path.startsWith(prefix))?.[1]
      return { dev: device ?? stats.dev }
    },
  }
  return { fs, calls }
}

function sharesInodes(source: ReturnType<typeof samplePackage>, dest: string): boolean[] {
  return source.files.map((file) => inode(join(dest, file.path)) === inode(join(source.dir, file.path)))
}

describe('falling back', () => {
  it.each(['EXDEV', 'EPERM'])('auto copies when the pair refuses hard links (%s)', (code) => {
    const { fs, calls } = simulatedFs(() => code)
    const source = samplePackage(scratch())
    const dest = join(scratch(), 'pkg')
    const cloner = createCloner({ fs })
    cloner.cloneSync(source, dest)
    cloner.cloneSync(source, join(scratch(), 'again'))
    expect(snapshot(dest)).toEqual(expectedFiles(source))
    expect(sharesInodes(source, dest)).not.toContain(true)
    expect(cloner.effectiveStrategy).toBe('copy')
    expect(calls.links).toBe(1) // probed once, then settled
  })

  it.each(['EXDEV', 'EPERM'])('forced hardlink fails with ECLONENOTSUP on %s', (code) => {
    const { fs } = simulatedFs(() => code)
    let error: unknown
    try {
      createCloner({ strategy: 'hardlink', fs }).cloneSync(samplePackage(scratch()), join(scratch(), 'pkg'))
    } catch (e) {
      error = e
    }
    expect(isToteError(error) && error.code).toBe('ECLONENOTSUP')
    expect(isToteError(error) && error.hint).toMatch(/'copy'/)
  })

  it.each(['auto', 'hardlink'] as const)(
    '%s copies single files with too many links (EMLINK), once warned',
    (strategy) => {
      const { fs } = simulatedFs((from) =>
        from.endsWith('.md') || from.endsWith('deep.js') ? 'EMLINK' : undefined,
      )
      const warnings: StageWarning[] = []
      const source = samplePackage(scratch())
      const dest = join(scratch(), 'pkg')
      const cloner = createCloner({ strategy, fs, onWarning: (w) => warnings.push(w) })
      cloner.cloneSync(source, dest)
      expect(snapshot(dest)).toEqual(expectedFiles(source))
      expect(sharesInodes(source, dest)).toEqual(
        source.files.map((file) => !file.path.endsWith('.md') && !file.path.endsWith('deep.js')),
      )
      expect(cloner.effectiveStrategy).toBe('hardlink')
      expect(warnings.map((w) => w.code)).toEqual(['ECLONEFALLBACK'])
    },
  )

  it("gives each call's warnings to that call's onWarning, and the cloner's to calls without one", () => {
    const cache = scratch()
    const near = samplePackage(cache, 'near')
    const far = samplePackage(cache, 'far')
    const many = samplePackage(cache, 'many')
    const { fs } = simulatedFs((from) =>
      from.startsWith(far.dir) ? 'EXDEV' : from.startsWith(many.dir) ? 'EMLINK' : undefined,
    )
    const cloner: StageWarning[] = []
    const first: StageWarning[] = []
    const second: StageWarning[] = []
    const c = createCloner({ fs, onWarning: (w) => cloner.push(w) })
    const project = scratch()
    c.cloneSync(near, join(project, 'near'), { onWarning: (w) => first.push(w) })
    c.cloneSync(far, join(project, 'far'), { onWarning: (w) => first.push(w) })
    c.cloneSync(far, join(project, 'far2'), { onWarning: (w) => second.push(w) }) // warned once only
    c.cloneSync(many, join(project, 'many'))
    expect(first.map((w) => w.message)).toEqual([expect.stringMatching(/EXDEV/)])
    expect(second).toEqual([])
    expect(cloner.map((w) => w.message)).toEqual([expect.stringMatching(/EMLINK/)])
  })

  it('after hard links worked, a cross-device file is copied, not the whole pair downgraded', () => {
    const cache = scratch()
    const near = samplePackage(cache, 'near')
    const far = samplePackage(cache, 'far')
    const { fs } = simulatedFs((from) => (from.startsWith(far.dir) ? 'EXDEV' : undefined))
    const warnings: StageWarning[] = []
    const cloner = createCloner({ fs, onWarning: (w) => warnings.push(w) })
    const project = scratch()
    cloner.cloneSync(near, join(project, 'near'))
    cloner.cloneSync(far, join(project, 'far'))
    cloner.cloneSync(near, join(project, 'near2'))
    expect(sharesInodes(near, join(project, 'near2'))).not.toContain(false)
    expect(sharesInodes(far, join(project, 'far'))).not.toContain(true)
    expect(snapshot(join(project, 'far'))).toEqual(expectedFiles(far))
    expect(cloner.effectiveStrategy).toBe('hardlink')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]!.message).toMatch(/EXDEV/)
  })

  it('auto remembers its finding in stateDir, per device pair', () => {
    const stateDir = join(scratch(), 'state')
    const source = samplePackage(scratch())
    const project = scratch()

    const first = simulatedFs(() => undefined)
    createCloner({ stateDir, fs: first.fs }).cloneSync(source, join(project, 'one'))
    expect(first.calls.reflinks).toBe(1)
    const pair = `${statSync(source.dir).dev}:${statSync(project).dev}`
    expect(JSON.parse(readFileSync(join(stateDir, STRATEGY_FILE), 'utf8'))).toEqual({
      version: 1,
      pairs: { [pair]: 'hardlink' },
    })

    const second = simulatedFs(() => undefined)
    const remembering = createCloner({ stateDir, fs: second.fs })
    remembering.cloneSync(source, join(project, 'two'))
    expect(second.calls.reflinks).toBe(0)
    expect(remembering.effectiveStrategy).toBe('hardlink')
    expect(sharesInodes(source, join(project, 'two'))).not.toContain(false)

    // Another device pair (say, a project on a USB disk) probes afresh.
    const other = simulatedFs(() => undefined, { [join(project, 'three')]: 4242 })
    createCloner({ stateDir, fs: other.fs }).cloneSync(source, join(project, 'three'))
    expect(other.calls.reflinks).toBe(1)
    expect(Object.keys(JSON.parse(readFileSync(join(stateDir, STRATEGY_FILE), 'utf8')).pairs)).toHaveLength(2)
  })

  it('names each temporary state file apart, also within one millisecond and one thread', () => {
    const stateDir = scratch()
    const names = new Set(Array.from({ length: 100 }, () => temporaryFileFor(stateDir)))
    expect(names.size).toBe(100)
  })

  it("removes a killed writer's temporary state file, never a live one's, and this process its own", async () => {
    const stateDir = join(scratch(), 'state')
    createCloner({ stateDir, fs: simulatedFs(() => undefined).fs }).cloneSync(
      samplePackage(scratch()),
      join(scratch(), 'one'),
    )
    expect(readdirSync(stateDir)).toEqual([STRATEGY_FILE])
    const leave = (pid: number, ageMs: number) => {
      const temporary = temporaryFileFor(stateDir, pid)
      writeFileSync(temporary, '{"version":1,')
      const then = new Date(Date.now() - ageMs)
      utimesSync(temporary, then, then)
      return basename(temporary)
    }
    const killed = leave(deadPid(), 2 * 60_000)
    const live = leave(process.pid, 2 * 60_000)
    // Gone, but just written: a live writer elsewhere sharing the folder may own it.
    const fresh = leave(deadPid(), 0)
    expect(await removeStaleTempFiles(stateDir)).toBe(1)
    expect(readdirSync(stateDir).sort()).toEqual([STRATEGY_FILE, live, fresh].sort())
    expect(readdirSync(stateDir)).not.toContain(killed)
    expect(removeOwnTempFilesSync(stateDir)).toBe(1)
    expect(readdirSync(stateDir).sort()).toEqual([STRATEGY_FILE, fresh].sort())
  })

  it('a remembered strategy that stopped working is probed past and forgotten', () => {
    const stateDir = join(scratch(), 'state')
    const source = samplePackage(scratch())
    const project = scratch()
    const pair = `${statSync(source.dir).dev}:${statSync(project).dev}`
    createCloner({ stateDir, fs: simulatedFs(() => undefined).fs }).cloneSync(source, join(project, 'one'))

    const moved = simulatedFs(() => 'EXDEV')
    const cloner = createCloner({ stateDir, fs: moved.fs })
    cloner.cloneSync(source, join(project, 'two'))
    expect(moved.calls.reflinks).toBe(0)
    expect(moved.calls.links).toBe(1)
    expect(cloner.effectiveStrategy).toBe('copy')
    expect(snapshot(join(project, 'two'))).toEqual(expectedFiles(source))
    expect(JSON.parse(readFileSync(join(stateDir, STRATEGY_FILE), 'utf8')).pairs[pair]).toBe('copy')
  })

  it('a garbled state file is ignored', () => {
    const stateDir = scratch()
    writeFileSync(join(stateDir, STRATEGY_FILE), '{"version":1,"pairs":')
    const { fs, calls } = simulatedFs(() => undefined)
    const cloner = createCloner({ stateDir, fs })
    cloner.cloneSync(samplePackage(scratch()), join(scratch(), 'pkg'))
    expect(calls.reflinks).toBe(1)
    expect(cloner.effectiveStrategy).toBe('hardlink')
  })
})
