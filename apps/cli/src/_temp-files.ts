import { join } from 'node:path'

/** The folders an install writes temporary files into: its cache (all stages) and its project. */
export interface TempFolders {
  cacheDir: string
  projectDir: string
}

interface Sweep {
  /** Where, for the --verbose line. */
  what: string
  /** Removes what killed runs left (each stage's own clean-up, by the rule in @tote/types). */
  stale(): Promise<number>
  /** Removes this process's own, whatever their age. */
  own(): number
}

/**
 * Every stage's temporary-file clean-up, over these folders. Loaded when needed: the install stages
 * are no part of the CLI's start-up (see install.ts).
 */
async function loadSweeps({ cacheDir, projectDir }: TempFolders): Promise<Sweep[]> {
  const [cloner, contentCache, lockfile, registry] = await Promise.all([
    import('@tote/cloner'),
    import('@tote/content-cache'),
    import('@tote/lockfile'),
    import('@tote/registry-client'),
  ])
  const cache = contentCache.createContentCache({ dir: cacheDir })
  const nodeModules = join(projectDir, 'node_modules')
  return [
    { what: 'the content cache', stale: () => cache.cleanStaging(), own: () => cache.cleanOwnStagingSync() },
    {
      what: 'the metadata cache',
      stale: () => registry.removeStaleTempFiles(cacheDir),
      own: () => registry.removeOwnTempFilesSync(cacheDir),
    },
    {
      what: 'the clone strategy memory',
      stale: () => cloner.removeStaleTempFiles(cacheDir),
      own: () => cloner.removeOwnTempFilesSync(cacheDir),
    },
    {
      what: 'the project folder',
      stale: () => lockfile.removeStaleTempFiles(projectDir),
      own: () => lockfile.removeOwnTempFilesSync(projectDir),
    },
    {
      what: 'node_modules',
      stale: () => lockfile.removeStaleTempFiles(nodeModules),
      own: () => lockfile.removeOwnTempFilesSync(nodeModules),
    },
  ]
}

/**
 * Removes what killed runs left in these folders; a live run's files are never touched. In the
 * background: started, never awaited, and one folder at a time, so that it takes at most one
 * thread of the pool from the install. A failure to clean costs only space: a line with --verbose.
 */
export function removeStaleTempFilesInBackground(
  folders: TempFolders,
  debug: (message: string) => void,
): void {
  void (async () => {
    for (const sweep of await loadSweeps(folders)) {
      try {
        const removed = await sweep.stale()
        if (removed > 0) debug(`removed ${removed} temporary files that killed runs left in ${sweep.what}`)
      } catch (error) {
        debug(`could not remove what killed runs left in ${sweep.what}: ${(error as Error).message}`)
      }
    }
  })().catch((error: unknown) => debug(`could not clean up after killed runs: ${(error as Error).message}`))
}

/**
 * Loads the clean-ups, and returns the function that removes this process's own temporary files
 * at once: the last thing an interrupted run does, so that nothing of this thread writes between
 * it and the exit. Best effort: whatever is left, the next run removes.
 */
export async function ownTempFileRemover(folders: TempFolders): Promise<() => void> {
  const sweeps = await loadSweeps(folders)
  return () => {
    for (const sweep of sweeps) {
      try {
        sweep.own()
      } catch {}
    }
  }
}
