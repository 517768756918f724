import type { CachedPackage, CloneCallOptions, ClonerStage, StageWarning } from '@tote/types'

/**
 * How files get from the content cache into node_modules.
 * - `reflink`: copy-on-write clone (btrfs, XFS with reflink, APFS): as fast as a link, yet a private file.
 * - `hardlink`: the node_modules file is the cache's file (same inode, same mode).
 * - `copy`: a plain copy, its mode set from {@link PackageFile.mode}.
 * - `auto`: the fastest of these that works on the cache/project filesystem pair, found once and remembered.
 */
export type CloneStrategy = 'auto' | 'reflink' | 'hardlink' | 'copy'

/** A strategy that names one way of placing files (what `auto` settles on). */
export type ConcreteCloneStrategy = Exclude<CloneStrategy, 'auto'>

/**
 * The file system calls the cloner makes, replaceable for tests (to simulate EXDEV, EMLINK, a
 * filesystem without reflinks). Same signatures as `node:fs`.
 */
export interface CloneFs {
  linkSync(existingPath: string, newPath: string): void
  copyFileSync(src: string, dest: string, mode?: number): void
  chmodSync(path: string, mode: number): void
  mkdirSync(path: string, options?: { recursive?: boolean }): string | undefined
  statSync(path: string): { dev: number }
}

/**
 * Options for {@link createCloner}. The scheduler passes plain data (`strategy`, `stateDir`) to the
 * factory in each of its worker threads; `onWarning` and `fs` are for callers on their own thread.
 */
export interface ClonerOptions {
  /** Default `auto`. A forced strategy that the filesystem cannot do fails with `ECLONENOTSUP`. */
  strategy?: CloneStrategy
  /**
   * Gets the non-fatal problems of calls that give no `onWarning` of their own, e.g. files copied
   * because hard-linking them failed (each distinct warning once per cloner).
   */
  onWarning?(warning: StageWarning): void
  /**
   * Folder where `auto` remembers which strategy worked for a pair of devices (a small JSON file
   * `clone-strategy.json`), so that the next run skips the probes. tote's cache folder is a good
   * choice. Without it, `auto` probes once per cloner.
   */
  stateDir?: string
  /** Replaces file system calls (tests). */
  fs?: Partial<CloneFs>
}

/**
 * One {@link Cloner.cloneSync} call (`CloneCallOptions` of @tote/types):
 * - `privateCopy`: never share an inode with the cache (reflink or copy, no hard link): for packages
 *   whose install scripts may change their own files, which would otherwise change the cache;
 * - `onWarning`: gets this call's warnings (instead of {@link ClonerOptions.onWarning}), so that they
 *   belong to the task that made the call.
 */
export type CloneOptions = CloneCallOptions

/** The cloner: the `ClonerStage` the scheduler calls in its worker threads, and what `auto` settled on. */
export interface Cloner extends ClonerStage {
  /**
   * Materialises one package at destDir (which must not exist yet or be empty) on the calling thread:
   * creates its folders and places every file of `source.files` (~10 µs per hard-linked file). A
   * file missing from the cache fails with `ECACHEDAMAGED` (details `{ integrity, file }`) so that
   * the caller can refetch the package.
   */
  cloneSync(source: CachedPackage, destDir: string, options?: CloneOptions): void
  /**
   * The strategy in use: a forced one from the start; for `auto`, what it settled on for this
   * filesystem pair (known after the first clone, or `undefined` before).
   */
  readonly effectiveStrategy: ConcreteCloneStrategy | undefined
}

/** A package whose bins to link, as the installer knows it. */
export interface BinPackage {
  /** Install path relative to the project: `node_modules/a`, `node_modules/a/node_modules/@s/b`. */
  path: string
  /** Package name, for warnings. */
  name: string
  /** Version, for warnings (`name@version`). */
  version?: string
  /** Command name → file inside the package (normalised manifest form). */
  bin?: Record<string, string>
}

export interface LinkBinsOptions {
  /** Absolute project folder that install paths are relative to. */
  projectDir: string
  packages: readonly BinPackage[]
  /** Gets refused names and targets (`EBINNAME`, `EBINTARGET`), conflicts (`EBINCONFLICT`) and the like. */
  onWarning?(warning: StageWarning): void
}

export interface LinkedBin {
  /** Absolute path of the link in a `.bin` folder. */
  binPath: string
  /** What the link points to, relative to its `.bin` folder (`../a/cli.js`). */
  target: string
}

export interface LinkBinsResult {
  linked: LinkedBin[]
}

export interface RemoveExtraneousOptions {
  /** Absolute project folder. */
  projectDir: string
  /** Install paths to keep: `node_modules/a`, `node_modules/@s/x`, `node_modules/a/node_modules/b`. */
  keep: ReadonlySet<string>
}

export interface RemoveExtraneousResult {
  /** Install paths of the removed package folders, sorted. */
  removed: string[]
}
