import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  isProcessAlive,
  isStaleTempFile,
  removeStaleTempFilesIn,
  removeTempFilesOfSync,
  tempFileOwnerFrom,
} from '../src/index.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tote-types-'))
  dirs.push(dir)
  return dir
}

/** A process id that no process has now: a child that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid
}

const minutes = (count: number) => count * 60_000
const ownerOf = tempFileOwnerFrom(/^thing\.(\d+)\.tmp$/)

function plant(dir: string, name: string, ageMs: number, folder = false): void {
  const path = join(dir, name)
  if (folder) mkdirSync(join(path, 'inside'), { recursive: true })
  else writeFileSync(path, 'half')
  const then = new Date(Date.now() - ageMs)
  utimesSync(path, then, then)
}

describe('temporary files', () => {
  it('knows a live process from a gone one, and refuses process groups', () => {
    expect(isProcessAlive(process.pid)).toBe(true)
    expect(isProcessAlive(process.ppid)).toBe(true)
    expect(isProcessAlive(deadPid())).toBe(false)
    expect(isProcessAlive(0)).toBe(false)
    expect(isProcessAlive(-1)).toBe(false)
    expect(isProcessAlive(Number.NaN)).toBe(false)
  })

  it('calls a file stale when its owner is gone (after a minute), or when it is older than the limit', () => {
    const now = Date.now()
    const dead = deadPid()
    expect(isStaleTempFile(dead, now - minutes(2), { now })).toBe(true)
    expect(isStaleTempFile(dead, now - 5_000, { now })).toBe(false)
    expect(isStaleTempFile(process.pid, now - minutes(59), { now })).toBe(false)
    expect(isStaleTempFile(process.pid, now - minutes(61), { now })).toBe(true)
    expect(isStaleTempFile(process.pid, now - minutes(61), { now, olderThanMinutes: 120 })).toBe(false)
    expect(isStaleTempFile(process.pid, now, { now, olderThanMinutes: 0 })).toBe(true)
  })

  it('removes the stale ones of the names it knows, and nothing else', async () => {
    const dir = tempDir()
    const [dead, deadToo, justGone] = [deadPid(), deadPid(), deadPid()]
    plant(dir, `thing.${dead}.tmp`, minutes(2))
    plant(dir, `thing.${deadToo}.tmp`, minutes(2), true) // a folder, with something inside
    plant(dir, `thing.${dead}.tmp.keep`, minutes(120)) // not a name it knows
    plant(dir, `thing.${process.pid}.tmp`, minutes(2)) // alive
    plant(dir, `thing.${justGone}.tmp`, 1_000) // gone, but just written
    expect(await removeStaleTempFilesIn(dir, ownerOf)).toBe(2)
    expect(readdirSync(dir).sort()).toEqual(
      [`thing.${dead}.tmp.keep`, `thing.${process.pid}.tmp`, `thing.${justGone}.tmp`].sort(),
    )
    expect(await removeStaleTempFilesIn(join(dir, 'none'), ownerOf)).toBe(0)
  })

  it("removes one process's own files, whatever their age, at once", () => {
    const dir = tempDir()
    plant(dir, `thing.${process.pid}.tmp`, 0)
    plant(dir, `thing.${process.pid}1.tmp`, 0)
    plant(dir, `other.${process.pid}.tmp`, 0)
    expect(removeTempFilesOfSync(dir, ownerOf)).toBe(1)
    expect(readdirSync(dir).sort()).toEqual([`other.${process.pid}.tmp`, `thing.${process.pid}1.tmp`])
    expect(removeTempFilesOfSync(join(dir, 'none'), ownerOf)).toBe(0)
  })
})
