// Temporary files that killed processes left in the metadata cache (see tempFileFor in _writer.ts).
import { join } from 'node:path'
import type { StaleTempFileOptions } from '@tote/types'
import { removeStaleTempFilesIn, removeTempFilesOfSync, tempFileOwnerFrom } from '@tote/types'
import { CACHE_FOLDER } from './_files.js'

/** The process that wrote a temporary file of tempFileFor, from its name. */
const tempFileOwner = tempFileOwnerFrom(/\.json\.(\d+)-\d+-\d+\.tmp$/)

/**
 * Removes the temporary files that killed processes left in `<cacheDir>/metadata-v2/`: those whose
 * process is gone from this host (once a minute old) and any older than `olderThanMinutes` (60);
 * a live writer's are never touched (the rule is `isStaleTempFile` in @tote/types). Resolves to how
 * many were removed.
 */
export function removeStaleTempFiles(cacheDir: string, options: StaleTempFileOptions = {}): Promise<number> {
  return removeStaleTempFilesIn(join(cacheDir, CACHE_FOLDER), tempFileOwner, options)
}

/**
 * Removes the temporary files of process `pid` (default: this one) in `<cacheDir>/metadata-v2/`,
 * whatever their age, at once: for a process that cleans up before it exits. Returns how many.
 */
export function removeOwnTempFilesSync(cacheDir: string, pid = process.pid): number {
  return removeTempFilesOfSync(join(cacheDir, CACHE_FOLDER), tempFileOwner, pid)
}
