import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import type { StaleTempFileOptions } from '@tote/types'
import { removeStaleTempFilesIn, removeTempFilesOfSync, tempFileOwnerFrom } from '@tote/types'

/** The temporary file a lockfile is written to before the rename: `.<name>.<pid>-<random>.tmp` beside it. */
export function tempPathFor(target: string, pid = process.pid): string {
  return join(dirname(target), `.${basename(target)}.${pid}-${randomBytes(6).toString('hex')}.tmp`)
}

// Only lockfile names (.json): these folders are the user's, and a file of theirs is never ours.
const tempFileOwner = tempFileOwnerFrom(/^\..+\.json\.(\d+)-[0-9a-f]{12}\.tmp$/)

/**
 * Removes the temporary files that killed processes left while writing a lockfile into `folder` (a
 * project, or its node_modules for the hidden lockfile): those whose process is gone from this host
 * (once a minute old) and any older than `olderThanMinutes` (60); a live writer's are never touched
 * (the rule is `isStaleTempFile` in @tote/types). Resolves to how many were removed.
 */
export function removeStaleTempFiles(folder: string, options: StaleTempFileOptions = {}): Promise<number> {
  return removeStaleTempFilesIn(folder, tempFileOwner, options)
}

/**
 * Removes the lockfile temporary files of process `pid` (default: this one) in `folder`, whatever
 * their age, at once: for a process that cleans up before it exits. Returns how many.
 */
export function removeOwnTempFilesSync(folder: string, pid = process.pid): number {
  return removeTempFilesOfSync(folder, tempFileOwner, pid)
}
