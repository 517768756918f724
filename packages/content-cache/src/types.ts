import type { CachedPackage, PackageFile, StaleTempFileOptions } from '@tote/types'

/** Options for {@link createContentCache}. */
export interface ContentCacheOptions {
  /** The cache folder (npm's `cache` setting or tote's own); created when first written. */
  dir: string
}

/**
 * Options for {@link ContentCache.cleanStaging}: `olderThanMinutes` (default 60), the age after which
 * a staging folder is removed whoever wrote it; before that, only when its process is gone.
 */
export type CleanStagingOptions = StaleTempFileOptions

/** Writes a package's files into `packageDir` (an empty folder) and lists them. */
export type WritePackage = (
  packageDir: string,
) => Promise<{ files: PackageFile[] }> | { files: PackageFile[] }

/**
 * The cache of extracted packages, keyed by integrity. Entries appear whole or not at all (written
 * in a staging folder, then renamed into place), so a killed process or a concurrent install never
 * leaves one that looks complete but is not.
 */
export interface ContentCache {
  /** The entry for `integrity`, or undefined when there is none or it is damaged (bad index, no package folder). */
  lookup(integrity: string): Promise<CachedPackage | undefined>
  /** {@link lookup}, synchronously. */
  lookupSync(integrity: string): CachedPackage | undefined
  /**
   * Adds the entry that `write` produces, and returns it. Returns the existing entry without calling
   * `write` when a whole one is there already; when another process adds the same integrity at the
   * same time, the first rename wins and the others return its entry. If `write` throws, nothing is
   * added and the error is rethrown.
   */
  add(integrity: string, write: WritePackage): Promise<CachedPackage>
  /**
   * Removes an entry found damaged later (a missing file): it is renamed away first, so no reader
   * sees half of it, then deleted. Resolves to false when there was none.
   */
  remove(integrity: string): Promise<boolean>
  /** The entry's folder (it holds `index.json` and `package/`), whether or not it exists. */
  entryDir(integrity: string): string
  /**
   * Removes staging folders that killed processes left behind: those whose process is gone from this
   * host (once a minute old), and any older than `olderThanMinutes`; never a live writer's (see
   * `isStaleTempFile` in @tote/types). Resolves to how many were removed.
   */
  cleanStaging(options?: CleanStagingOptions): Promise<number>
  /**
   * Removes the staging folders of process `pid` (default: this one), whatever their age, at once:
   * for a process that stops its writers and cleans up before it exits. Returns how many.
   */
  cleanOwnStagingSync(pid?: number): number
}
