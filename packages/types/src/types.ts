// The records that cross tote's stages. Every stage package depends on these and on nothing else
// of tote's, so a contributor can replace one stage by writing functions over these shapes.
import type { SYSTEM_FAULT_CODES, TOTE_ERROR_CODES } from './_codes.js'

/**
 * A code a {@link ToteError} carries: one of tote's own (`TOTE_ERROR_CODES`), or a fault of the
 * system under its errno name (`SYSTEM_FAULT_CODES`). README.md ("Error codes") says what each one
 * means and what to do about it.
 */
export type ToteErrorCode = (typeof TOTE_ERROR_CODES)[number] | SystemFaultCode

/** A fault of the system that the CLI reports under its errno name (`ENOSPC`, `EACCES`…). */
export type SystemFaultCode = (typeof SYSTEM_FAULT_CODES)[number]

/** Options for {@link ToteError}. */
export interface ToteErrorOptions {
  /** One sentence that tells the user what to do about it. */
  hint?: string
  /** The error underneath, kept for `--verbose` and for tools. */
  cause?: unknown
  /** Structured facts about the failure (a URL, a package name, tries), for tools and tests. */
  details?: Record<string, unknown>
}

/** Dependency name → version range (or other spec), as in package.json. */
export type DependencyMap = Record<string, string>

/** `dist` of one version in a packument. */
export interface PackageDist {
  tarball: string
  /** Subresource Integrity string, usually sha512 (`sha512-…`). Old packages have only `shasum`. */
  integrity?: string
  /** Hex sha1 of the tarball. */
  shasum?: string
  fileCount?: number
  unpackedSize?: number
}

/**
 * One version of a package as the registry describes it, reduced to what resolving and installing
 * need (the fields npm's abbreviated metadata carries, plus `license` for the lockfile).
 */
export interface PackageManifest {
  name: string
  version: string
  dependencies?: DependencyMap
  optionalDependencies?: DependencyMap
  peerDependencies?: DependencyMap
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  bundleDependencies?: string[] | boolean
  /** Command name → path inside the package, already normalised from the string form. */
  bin?: Record<string, string>
  /** Usually a map; a few old packages have an array of strings, which npm keeps as is. */
  engines?: Record<string, string> | string[]
  os?: string[]
  cpu?: string[]
  libc?: string[]
  /** An SPDX expression; an array for a few old packages, which npm keeps as is. */
  license?: string | string[]
  deprecated?: string
  funding?: unknown
  /** The package's own workspaces field, which npm copies into the lockfile. */
  workspaces?: string[] | Record<string, unknown>
  /** True when the package has preinstall/install/postinstall scripts or a binding.gyp. */
  hasInstallScript?: boolean
  dist: PackageDist
}

/**
 * A package's registry document as plain data: every version, and the dist-tags. What a document
 * made in memory (a test, a custom packument source) or parsed whole is; the registry client reads
 * its documents lazily instead ({@link LazyPackument}).
 */
export interface Packument {
  name: string
  'dist-tags': Record<string, string>
  versions: Record<string, PackageManifest>
  /** ISO time of the last change, when the registry says. */
  modified?: string
  /**
   * When each version was published (version → ISO time), as a full registry document has it
   * (abbreviated ones do not). npm's `before` and `min-release-age` read it.
   */
  time?: Record<string, string>
}

/**
 * A package's registry document as the registry client reads it: the dist-tags at once, each
 * version only when it is asked for (a resolver reads two or three versions of a package that has
 * thousands). `versionsOf` reads the versions of either kind of packument.
 */
export interface LazyPackument {
  name: string
  'dist-tags': Record<string, string>
  versions: PackumentVersions
  /** ISO time of the last change, when the registry says. */
  modified?: string
  /** When each version was published (version → ISO time), when the document has it (see {@link Packument}). */
  time?: Record<string, string>
}

/**
 * The versions of a {@link LazyPackument}, read through methods, not properties: a manifest is
 * parsed and reduced from the document's bytes when it is first asked for, then kept.
 */
export interface PackumentVersions {
  /**
   * The manifest of `version`. Undefined when the document has no such version, or has one that is
   * not a manifest with a tarball. Throws a ToteError `EBADJSON` (naming the package and version)
   * when that version's JSON is damaged.
   */
  get(version: string): PackageManifest | undefined
  /** Whether the document lists `version` (whose manifest `get` may still find unusable). */
  has(version: string): boolean
  /** Every version the document lists, in its order. The same array each time: do not change it. */
  keys(): readonly string[]
}

/**
 * One entry of package-lock.json v3 `packages`, keyed by install path (`node_modules/a`,
 * `node_modules/a/node_modules/b`; `""` is the project itself). Field names and meaning are npm's.
 */
export interface LockfilePackage {
  /** Set for the root, and for an alias or a package whose folder name is not its name. */
  name?: string
  version?: string
  resolved?: string
  integrity?: string
  /** Only reachable through devDependencies. */
  dev?: boolean
  /** Only reachable through optionalDependencies. */
  optional?: boolean
  /** Reachable only through dev and optional paths, mixed. */
  devOptional?: boolean
  /** Only reachable through peerDependencies. */
  peer?: boolean
  link?: boolean
  inBundle?: boolean
  hasInstallScript?: boolean
  hasShrinkwrap?: boolean
  deprecated?: string
  license?: string | string[]
  dependencies?: DependencyMap
  devDependencies?: DependencyMap
  optionalDependencies?: DependencyMap
  peerDependencies?: DependencyMap
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  bin?: Record<string, string>
  engines?: Record<string, string> | string[]
  os?: string[]
  cpu?: string[]
  libc?: string[]
  funding?: unknown
  workspaces?: string[] | Record<string, unknown>
  /** Anything else npm wrote, kept so that a read-then-write does not lose it. */
  [field: string]: unknown
}

/** package-lock.json, version 3. */
export interface Lockfile {
  name?: string
  version?: string
  lockfileVersion: 3
  requires?: boolean
  packages: Record<string, LockfilePackage>
}

/** The subset of package.json that installing reads. */
export interface ProjectManifest {
  name?: string
  version?: string
  dependencies?: DependencyMap
  devDependencies?: DependencyMap
  optionalDependencies?: DependencyMap
  peerDependencies?: DependencyMap
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  /** npm overrides: name (or `name@range`) → spec, or a nested object; `.` means the parent's own spec. */
  overrides?: Record<string, unknown>
  bin?: string | Record<string, string>
  engines?: Record<string, string>
  license?: string
  [field: string]: unknown
}

/** Which dependency types to leave out of an install (`--omit`). */
export type OmitType = 'dev' | 'optional' | 'peer'

/**
 * A package to put at one place in node_modules, planned from one lockfile entry: what the
 * downloader fetches, what the cache is keyed by, and where the cloner puts it.
 */
export interface InstallPackage {
  /** Install path relative to the project, `node_modules/a` or `node_modules/a/node_modules/b`. */
  path: string
  /** The real package name (differs from the folder name for aliases). */
  name: string
  version: string
  /** SRI string the tarball must match; the content cache key. */
  integrity: string
  /** Absolute tarball URL. */
  tarballUrl: string
  /** Gets a private copy, not links into the cache, because its scripts may change its files. */
  hasInstallScript: boolean
  /** Command name → path inside the package. */
  bin?: Record<string, string>
}

/** One regular file of an extracted package, as the content cache's index records it. */
export interface PackageFile {
  /** Path inside the package, `/`-separated, never absolute, never with `..`. */
  path: string
  /** 0o644, or 0o755 when any execute bit was set in the tarball. */
  mode: number
  size: number
  /**
   * CRC-32 of the content (as `zlib.crc32` computes it: unsigned), when the writer took it (the
   * extractor's `hashFiles`). The content cache records it, so that `verify` can check every byte
   * later.
   */
  crc32?: number
}

/** A complete, extracted package in the content cache. */
export interface CachedPackage {
  integrity: string
  /** Absolute path of the package's root folder inside the cache (its package.json is here). */
  dir: string
  files: PackageFile[]
}

/** A non-fatal problem a stage reports (an entry dropped from a hostile tarball, a bin name refused). */
export interface StageWarning {
  code: string
  message: string
  /** The package it concerns, as `name@version`, when known. */
  package?: string
}

/**
 * The package a content cache entry is for: the name and version it was fetched for (the
 * lockfile's). An entry is only ever used for that package, whatever integrity a lockfile gives
 * another one.
 */
export interface PackageIdentity {
  name: string
  version: string
}

/** What a content cache found for an integrity and the package that asks for it. */
export type CacheLookup =
  /** A whole entry for this package, its files as they were written (by their stat). */
  | { status: 'found'; entry: CachedPackage }
  /** No entry, or one written by another version of the cache (another index format). */
  | { status: 'missing' }
  /** A whole entry of this integrity, fetched for another package: never used for this one. */
  | { status: 'other-package'; holds: PackageIdentity }
  /**
   * The entry is not as it was written: a damaged index, or a file missing, of another size,
   * replaced or modified since (a later mtime). `file` names the first such file.
   */
  | { status: 'damaged'; reason: string; file?: string }

// The stages the scheduler runs in worker threads. Each is made in every thread by a factory that a
// module exports (`createExtractor`, `createContentCache`, `createCloner`), from options that are
// plain data; these are the functions the scheduler calls on what the factory returns. They are
// synchronous: a worker runs one task at a time, and a synchronous call cannot interleave with
// another task's, so each call's warnings go to the `onWarning` of that call, that is, to its task.

/** Where one call of a stage sends its warnings (they belong to the task that made the call). */
export interface StageCallOptions {
  onWarning?(warning: StageWarning): void
}

/** One call of {@link ExtractorStage.extractSync}. */
export interface ExtractCallOptions extends StageCallOptions {
  /** `name@version`, put into warnings and error details. */
  packageId?: string
  /** Checksum each file while writing it (each {@link PackageFile} gets `crc32`), for the content cache. */
  hashFiles?: boolean
}

/** The extractor stage: `createExtractor(options)` of `@tote/extractor`, or a module shaped like it. */
export interface ExtractorStage {
  /**
   * Unpacks a verified tarball into `destDir` (an empty folder) and lists the regular files written.
   * Throws a ToteError for a damaged tarball (the caller removes `destDir`).
   */
  extractSync(tarball: Uint8Array, destDir: string, options?: ExtractCallOptions): { files: PackageFile[] }
}

/** Writes a package's files into `packageDir` (an empty folder) and lists them. */
export type WritePackageSync = (packageDir: string) => { files: PackageFile[] }

/**
 * The content cache stage: `createContentCache(options)` of `@tote/content-cache`, or a module shaped
 * like it. Where and how entries are kept is known to it alone.
 */
export interface ContentCacheStage {
  /** Whether there is an entry (whole or not, for whichever package) for `integrity`: one `stat`. */
  has(integrity: string): boolean
  /** The entry for `integrity` if it is `identity`'s and its files are as they were written. */
  lookupSync(integrity: string, identity: PackageIdentity): CacheLookup
  /**
   * Adds the entry that `write` produces for `identity`, whole or not at all, and returns it; returns
   * the existing entry without calling `write` when a whole one for this package is there already.
   */
  addSync(integrity: string, identity: PackageIdentity, write: WritePackageSync): CachedPackage
  /** Removes an entry (found damaged); false when there was none. */
  removeSync(integrity: string): boolean
}

/** One call of {@link ClonerStage.cloneSync}. */
export interface CloneCallOptions extends StageCallOptions {
  /** Never share an inode with the cache: the package has install scripts that may edit its files. */
  privateCopy?: boolean
}

/** The cloner stage: `createCloner(options)` of `@tote/cloner`, or a module shaped like it. */
export interface ClonerStage {
  /**
   * Puts every file of `source.files` under `destDir` (which must not exist yet or be empty). A file
   * missing from the cache throws ToteError `ECACHEDAMAGED`, so that the package is fetched again.
   */
  cloneSync(source: CachedPackage, destDir: string, options?: CloneCallOptions): void
}

/** One hash of a Subresource Integrity string (see `strongestHash`). */
export interface IntegrityHash {
  /** `sha512`, `sha384`, `sha256` or `sha1`, as node:crypto names them. */
  algorithm: string
  /** The digest in base64, as SRI writes it. */
  base64: string
  /** The digest in hex. */
  hex: string
  /** That hash alone, as SRI: `sha512-<base64>`. */
  sri: string
}

/**
 * Reads a temporary file's name: the id of the process that wrote it, or undefined when the name is
 * not one of the temporary files this reader knows (such files are never touched).
 */
export type TempFileOwner = (name: string) => number | undefined

/** Options for the clean-ups that remove stale temporary files (`removeStaleTempFiles`). */
export interface StaleTempFileOptions {
  /**
   * Files last changed longer ago than this are removed whoever wrote them (a reused pid, another
   * host); sooner, only those whose process is gone (and a minute old). Default 60.
   */
  olderThanMinutes?: number
}
