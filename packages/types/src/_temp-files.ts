import { lstatSync, readdirSync, rmSync } from 'node:fs'
import { lstat, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { StaleTempFileOptions, TempFileOwner } from './types.js'

// Every stage that writes a temporary file puts its process id in the name, and its own clean-up
// reads it back (a TempFileOwner). Which of them may go, whoever asks, is decided here alone:
//
// - The owner is alive on this host: it may be writing the file right now. Kept.
// - The owner is gone: nobody will ever rename the file into place. Removed, once a minute old:
//   a folder can be shared with another host or another PID namespace (a container), where the
//   same number names a live process that this host cannot see, and every writer's file is done
//   with in seconds. A minute spares those writers; a crashed run's leftovers wait one more run.
// - Older than `olderThanMinutes` (an hour): removed whoever the owner is. A pid is reused, by an
//   unrelated process that will never finish the file, and a remote host's pid may happen to be
//   alive here; no writer holds a temporary file for that long.

/** The grace a dead owner's file gets (see above). */
const DEAD_OWNER_GRACE_MS = 60_000
/** The age after which a file is stale whoever owns it (see above). */
const DEFAULT_MAX_AGE_MINUTES = 60

/** True while process `pid` exists on this host (also one of another user, which we may not signal). */
export function isProcessAlive(pid: number): boolean {
  // 0 and negative numbers name process groups to kill(), not a process.
  if (!Number.isSafeInteger(pid) || pid <= 0) return false
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** True when a temporary file of process `owner`, last changed at `mtimeMs`, may be removed. */
export function isStaleTempFile(
  owner: number,
  mtimeMs: number,
  options: StaleTempFileOptions & { now?: number } = {},
): boolean {
  const age = (options.now ?? Date.now()) - mtimeMs
  if (age >= (options.olderThanMinutes ?? DEFAULT_MAX_AGE_MINUTES) * 60_000) return true
  return age >= DEAD_OWNER_GRACE_MS && !isProcessAlive(owner)
}

function missing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

/**
 * Removes the stale temporary files (or folders) in `folder` whose names `ownerOf` recognises; other
 * names are never touched. Resolves to how many were removed. Safe while other processes write and
 * clean the same folder: what is gone by the time it gets there is skipped.
 */
export async function removeStaleTempFilesIn(
  folder: string,
  ownerOf: TempFileOwner,
  options: StaleTempFileOptions = {},
): Promise<number> {
  let names: string[]
  try {
    names = await readdir(folder)
  } catch (error) {
    if (missing(error)) return 0
    throw error
  }
  const now = Date.now()
  let removed = 0
  let failure: unknown
  // One at a time: this runs beside an install, and must not take the thread pool from it.
  for (const name of names) {
    const owner = ownerOf(name)
    if (owner === undefined) continue
    const path = join(folder, name)
    const info = await lstat(path).catch(() => undefined)
    if (info === undefined || !isStaleTempFile(owner, info.mtimeMs, { ...options, now })) continue
    try {
      await rm(path, { recursive: true, force: true })
      removed++
    } catch (error) {
      // Another run removing the same folder at the same time: whatever is left, it removes. One
      // file that cannot be removed does not keep the others.
      if (!missing(error) && (error as NodeJS.ErrnoException).code !== 'ENOTEMPTY') failure ??= error
    }
  }
  if (failure !== undefined) throw failure
  return removed
}

/**
 * Removes the temporary files in `folder` that process `pid` owns, whatever their age, at once on
 * this thread: for a process that is about to exit (after a signal) and cleans up after itself.
 * Returns how many were removed.
 */
export function removeTempFilesOfSync(folder: string, ownerOf: TempFileOwner, pid = process.pid): number {
  let names: string[]
  try {
    names = readdirSync(folder)
  } catch (error) {
    if (missing(error)) return 0
    throw error
  }
  let removed = 0
  for (const name of names) {
    if (ownerOf(name) !== pid) continue
    const path = join(folder, name)
    if (lstatSync(path, { throwIfNoEntry: false }) === undefined) continue
    rmSync(path, { recursive: true, force: true, maxRetries: 2 })
    removed++
  }
  return removed
}

/** A TempFileOwner for names that `pattern` matches, its first group being the process id. */
export function tempFileOwnerFrom(pattern: RegExp): TempFileOwner {
  return (name) => {
    const pid = pattern.exec(name)?.[1]
    return pid === undefined ? undefined : Number(pid)
  }
}
