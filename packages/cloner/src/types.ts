import type { CachedPackage, StageWarning } from '@tote/types'

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
 * filesystem without reflinks). Same signatures as `node:fs`. A cloner with replaced calls never
 * uses worker threads (functions cannot cross to a worker).
 */
export interface CloneFs {
  linkSync(existingPath: string, newPath: string): void
  copyFileSync(src: string, dest: string, mode?: number): void
  chmodSync(path: string, mode: number): void
  mkdirSync(path: string, options?: { recursive?: boolean }): string | undefined
  statSync(path: string): { dev: number }
}

export interface ClonerOptions {
  /** Default `auto`. A forced strategy that the filesystem cannot do fails with `ECLONENOTSUP`. */
  strategy?: CloneStrategy
  /**
   * Worker threads that help the calling thread in {@link Cloner.cloneMany}: a count (started for
   * any batch), `false` (calling thread only), or `auto` (the default): for batches of 10,000 files
   * or more, one per idle core by the load average minus the calling thread's, at most 2; copies
   * get at least one. Measured in the README: on busy cores, helpers slow hard links down.
   */
  workers?: number | 'auto' | false
  /** Gets non-fatal problems, e.g. files copied because hard-linking them failed (once per cause). */
  onWarning?(warning: StageWarning): void
  /**
   * Folder where `auto` remembers which strategy worked for a pair of devices (a small JSON file
   * `clone-strategy.json`), so that the next run skips the probes. The content cache's folder is a
   * good choice. Without it, `auto` probes once per cloner.
   */
  stateDir?: string
  /** Replaces file system calls (tests). */
  fs?: Partial<CloneFs>
  /**
   * Where the worker module is, when a bundler moved it. Default: `_worker.js` next to this module,
   * see {@link clonerWorkerUrl}.
   */
  workerFile?: string | URL
}

export interface CloneOptions {
  /**
   * Never share an inode with the cache (reflink or copy, no hard link): for packages whose install
   * scripts may change their own files, which would otherwise change the cache.
   */
  privateCopy?: boolean
}

/** One package for {@link Cloner.cloneMany}. */
export interface CloneJob extends CloneOptions {
  source: CachedPackage
  /** Absolute folder to create, e.g. `/project/node_modules/a`. */
  destDir: string
}

export interface Cloner {
  /**
   * Materialises one package at destDir (which must not exist yet or be empty): creates its folders
   * and places every file of `source.files`. A file missing from the cache fails with
   * `ECACHEDAMAGED` (details `{ integrity, file }`) so that the caller can refetch the package.
   */
  clone(source: CachedPackage, destDir: string, options?: CloneOptions): Promise<void>
  /** Same, synchronous (blocks the thread for ~10 µs per hard-linked file). */
  cloneSync(source: CachedPackage, destDir: string, options?: CloneOptions): void
  /**
   * Many packages at once: spread over worker threads when there are enough files for that to pay
   * (see `workers`), else on this thread, yielding to the event loop between packages.
   * All jobs run even if one fails; then the first failure is thrown.
   */
  cloneMany(jobs: readonly CloneJob[]): Promise<void>
  /**
   * The strategy in use: a forced one from the start; for `auto`, what it settled on for this
   * filesystem pair (known after the first clone, or `undefined` before).
   */
  readonly effectiveStrategy: ConcreteCloneStrategy | undefined
  /** Stops the worker threads. The cloner can still be used afterwards (it starts them again). */
  close(): Promise<void>
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
