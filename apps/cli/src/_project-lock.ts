import { randomBytes } from 'node:crypto'
import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { ToteError } from '@tote/types'
import { checkCacheWritable } from './_install-checks.js'
import type { Session } from './_open-project.js'

// One install per project at a time: node_modules/.tote-lock names the run that holds it. A holder
// touches the file every few seconds, so a lock whose holder died (kill -9, a power cut, another
// machine sharing the folder) is recognised as stale and taken over.

export const LOCK_FILE = '.tote-lock'
const REFRESH_MS = 5_000
/** A lock not touched for this long has no live holder, whatever its pid says (pids are reused). */
const STALE_MS = 30_000
const POLL_MS = 100

/** Who holds a lock, as its file says. */
export interface LockHolder {
  pid: number
  host: string
  started: number
}

export interface ProjectLock {
  path: string
  /** Removes the lock if it is still this run's. Safe to call twice. */
  release(): void
}

export interface LockOptions {
  /** How long to wait for another run before giving up (ELOCKED). */
  timeoutMs: number
  /** Called once, when the lock is held by another run and this one starts waiting. */
  onWait?: (holder: LockHolder | undefined, path: string) => void
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as LockHolder
    return typeof holder.pid === 'number' && typeof holder.host === 'string' ? holder : undefined
  } catch {
    return undefined
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Age of the lock file in ms, or undefined when it is gone. */
function ageOf(path: string): number | undefined {
  try {
    return Date.now() - statSync(path).mtimeMs
  } catch {
    return undefined
  }
}

function isStale(path: string, holder: LockHolder | undefined): boolean {
  const age = ageOf(path)
  if (age === undefined) return false
  if (age > STALE_MS) return true
  return holder !== undefined && holder.host === hostname() && !isAlive(holder.pid)
}

/**
 * Moves a stale lock aside. Two waiters may both judge it stale: the one whose rename comes second
 * could move the first one's fresh lock, so what was moved is checked, and put back if it is not
 * the stale holder (link fails rather than overwrite a third run's lock).
 */
function takeOver(path: string, stale: LockHolder | undefined): void {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    renameSync(path, aside)
  } catch {
    return // someone else moved it first
  }
  const moved = readHolder(aside)
  const same = moved?.pid === stale?.pid && moved?.started === stale?.started && moved?.host === stale?.host
  if (!same) {
    try {
      linkSync(aside, path)
    } catch {}
  }
  try {
    unlinkSync(aside)
  } catch {}
}

function tryCreate(path: string, holder: LockHolder): boolean {
  let fd: number
  try {
    fd = openSync(path, 'wx')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  try {
    writeSync(fd, `${JSON.stringify(holder)}\n`)
  } finally {
    closeSync(fd)
  }
  return true
}

/**
 * Takes the lock of the project whose node_modules is `nodeModules` (created if missing), waiting
 * for another run to finish, at most `timeoutMs`.
 *
 * @throws ToteError `ELOCKED` when another run still holds it after the wait.
 */
export async function lockProject(nodeModules: string, options: LockOptions): Promise<ProjectLock> {
  const path = join(nodeModules, LOCK_FILE)
  const mine: LockHolder = { pid: process.pid, host: hostname(), started: Date.now() }
  const deadline = Date.now() + options.timeoutMs
  let waiting = false
  for (;;) {
    try {
      if (tryCreate(path, mine)) break
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      // A read-only project: no other run can change it either, and an install with nothing to
      // change must still succeed; one that needs a write fails there, with its own error.
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return { path, release() {} }
      if (code !== 'ENOENT') throw lockError(path, error)
      try {
        mkdirSync(nodeModules, { recursive: true })
      } catch (mkdirError) {
        throw lockError(path, mkdirError)
      }
      continue
    }
    const holder = readHolder(path)
    if (isStale(path, holder)) {
      takeOver(path, holder)
      continue
    }
    if (Date.now() >= deadline) {
      const who = holder ? `tote (pid ${holder.pid} on ${holder.host})` : 'another tote'
      throw new ToteError('ELOCKED', `${who} is still installing in this project (${path})`, {
        hint: `Wait for it to finish and run the command again. If no tote is running, delete ${path}.`,
        details: { path, ...(holder ? { holder } : {}) },
      })
    }
    if (!waiting) {
      waiting = true
      options.onWait?.(holder, path)
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
  const refresh = setInterval(() => {
    try {
      const now = new Date()
      utimesSync(path, now, now)
    } catch {}
  }, REFRESH_MS)
  refresh.unref()
  let released = false
  const release = () => {
    if (released) return
    released = true
    clearInterval(refresh)
    process.off('exit', release)
    const holder = readHolder(path)
    if (holder?.pid === mine.pid && holder.started === mine.started && holder.host === mine.host) {
      try {
        unlinkSync(path)
      } catch {}
    }
  }
  // An exit by process.exit() or a handled signal leaves no lock behind.
  process.on('exit', release)
  return { path, release }
}

/** How long a run waits for another one installing in the same project (TOTE_LOCK_WAIT: seconds). */
function lockWaitMs(): number {
  const seconds = Number(process.env.TOTE_LOCK_WAIT)
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 10 * 60_000
}

/**
 * Takes the project's lock (node_modules/.tote-lock) for a command that writes node_modules,
 * waiting for another run with a message. Released, the lock leaves no node_modules behind that
 * this run created and left empty.
 */
export async function lockForInstall(session: Pick<Session, 'config' | 'reporter'>): Promise<ProjectLock> {
  checkCacheWritable(session.config)
  const nodeModules = join(session.config.projectDir, 'node_modules')
  const created = !existsSync(nodeModules)
  const lock = await lockProject(nodeModules, {
    timeoutMs: lockWaitMs(),
    onWait(holder) {
      const who = holder ? `tote (pid ${holder.pid})` : 'another tote'
      session.reporter.warn({
        code: 'ELOCKWAIT',
        message: `${who} is installing in this project; waiting for it to finish…`,
      })
    },
  })
  return {
    path: lock.path,
    release() {
      lock.release()
      if (created) {
        try {
          rmdirSync(nodeModules)
        } catch {} // not empty: the install put something there
      }
    },
  }
}

function lockError(path: string, error: unknown): ToteError {
  const code = (error as NodeJS.ErrnoException).code
  return new ToteError('ELOCK', `Cannot create the project lock ${path}: ${(error as Error).message}`, {
    hint:
      code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? 'node_modules is not writable: check its owner and permissions.'
        : 'Check that the project folder is writable and the disk has space.',
    cause: error,
    details: { path, ...(code ? { errno: code } : {}) },
  })
}
