import type {
  CachedPackage,
  CacheLookup,
  ContentCacheStage,
  PackageFile,
  PackageIdentity,
  StaleTempFileOptions,
  WritePackageSync,
} from '@tote/types'

export type { PackageIdentity, WritePackageSync }

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

/**
 * Writes a package's files into `packageDir` (an empty folder) and lists them. Files listed with a
 * `crc32` are not read back to checksum them (`extractTarballSync(…, { hashFiles: true })` gives one).
 */
export type WritePackage = (
  packageDir: string,
) => Promise<{ files: PackageFile[] }> | { files: PackageFile[] }

/** What {@link ContentCache.lookup} found for an integrity and the package that asks for it. */
export type Lookup = CacheLookup

/** Options for {@link ContentCache.verify}. */
export interface VerifyOptions {
  /** Remove damaged and outdated entries, so that the next install fetches them again. Default true. */
  remove?: boolean
  /** Called after each entry is checked, in the order they are checked. */
  onEntry?(entry: VerifiedEntry): void
}

/** One entry as {@link ContentCache.verify} found it. */
export interface VerifiedEntry {
  /** The keying hash as SRI (`sha512-…`), from the entry's place in the cache. */
  integrity: string
  /** The package it was fetched for; undefined when its index could not be read. */
  identity?: PackageIdentity
  /**
   * `ok`; `damaged` (what a lookup would refuse, or content that does not match its hash);
   * `outdated`: written by another version of tote, which installs would replace anyway.
   */
  status: 'ok' | 'damaged' | 'outdated'
  /** Why it is damaged or outdated. */
  reason?: string
  /** Files and bytes of the entry, by its index (0 when it could not be read). */
  files: number
  bytes: number
  /** Whether verify removed it. */
  removed: boolean
}

/** What {@link ContentCache.verify} did. */
export interface VerifySummary {
  /** Entries checked, of every status. */
  entries: number
  /** Files and bytes read and hashed. */
  files: number
  bytes: number
  /** The damaged entries. */
  damaged: VerifiedEntry[]
  /** Entries of another index format. */
  outdated: number
  /** Entries removed (damaged and outdated), and their bytes by their index. */
  removed: number
  removedBytes: number
}

/**
 * The cache of extracted packages, keyed by integrity and bound to the package each entry was
 * fetched for. Entries appear whole or not at all (written in a staging folder, then renamed into
 * place), so a killed process or a concurrent install never leaves one that looks complete but is not.
 */
export interface ContentCache extends ContentCacheStage {
  /**
   * The entry for `integrity` if it was fetched for `identity` and its files are as they were
   * written: one read of index.json and one `lstat` per file (size, type, mtime). Never throws for a
   * damaged entry; it says so.
   */
  lookup(integrity: string, identity: PackageIdentity): Promise<Lookup>
  /** {@link lookup}, synchronously. */
  lookupSync(integrity: string, identity: PackageIdentity): Lookup
  /** Whether there is an index for `integrity`, whole or not, for whichever package: one `stat`. */
  has(integrity: string): boolean
  /**
   * Adds the entry that `write` produces for `identity`, and returns it. Returns the existing entry
   * without calling `write` when a whole one for this package is there already; when another process
   * adds the same integrity at the same time, the first rename wins and the others return its entry.
   * An entry in the way that is damaged or another package's is replaced. If `write` throws, nothing
   * is added and the error is rethrown.
   */
  add(integrity: string, identity: PackageIdentity, write: WritePackage): Promise<CachedPackage>
  /**
   * {@link add}, synchronously, with a synchronous `write`: what the scheduler's worker threads call
   * (the extractor writes synchronously).
   */
  addSync(integrity: string, identity: PackageIdentity, write: WritePackageSync): CachedPackage
  /**
   * Removes an entry (found damaged): it is renamed away first, so no reader sees half of it, then
   * deleted. Resolves to false when there was none.
   */
  remove(integrity: string): Promise<boolean>
  /** {@link remove}, synchronously. */
  removeSync(integrity: string): boolean
  /**
   * Checks every entry fully: its index, each file's stat as `lookup` does, and each file's content
   * against the CRC-32 recorded when it was written. Removes what it finds damaged or outdated
   * (unless `remove: false`).
   */
  verify(options?: VerifyOptions): Promise<VerifySummary>
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

/** What a package's built result is keyed by ({@link builtResultKey}). */
export interface BuiltResultKey {
  /** The integrity of the package's tarball, as the lockfile records it. */
  integrity: string
  /** `process.platform` of the build (`linux`, `darwin`, `win32`). */
  platform: string
  /** `process.arch` of the build (`x64`, `arm64`). */
  arch: string
  /** The Node ABI the build targets: `process.versions.modules` (`127` for Node 22). */
  abi: string
  /** The scripts that ran, in order: each event and its command line. */
  scripts: readonly { event: string; script: string }[]
}
