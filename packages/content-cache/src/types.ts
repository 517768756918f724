import type { CachedPackage, PackageFile } from '@tote/types'

/** Options for {@link createContentCache}. */
export interface ContentCacheOptions {
  /** The cache folder (npm's `cache` setting or tote's own); created when first written. */
  dir: string
}

/** Options for {@link ContentCache.cleanStaging}. */
export interface CleanStagingOptions {
  /** Staging folders last changed longer ago than this are removed. Default 60. */
  olderThanMinutes?: number
}

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
  /** Removes staging folders that killed processes left behind; resolves to how many were removed. */
  cleanStaging(options?: CleanStagingOptions): Promise<number>
}
