import type {
  ClonerStage,
  ContentCacheStage,
  ExtractorStage,
  InstallPackage,
  StageWarning,
} from '@tote/types'

/** A package the scheduler puts on disk: a planned lockfile entry and its absolute folder. */
export interface ScheduledPackage extends InstallPackage {
  /** Absolute folder to create, `/project/node_modules/a`. It must not exist (or be empty). */
  destDir: string
}

/** A tarball to fetch into the cache ahead of need (while the resolver is still working, say). */
export interface PrefetchRequest {
  name: string
  version: string
  integrity: string
  tarballUrl: string
}

/** The stage that runs on this thread: the network. The rest run in worker threads. */
export interface SchedulerDeps {
  /** Downloads and verifies a tarball (`@tote/downloader`'s `download` fits). */
  download(
    request: PrefetchRequest,
    options: { signal: AbortSignal },
  ): Promise<{ data: Uint8Array; integrity: string }>
}

/**
 * A stage that runs in worker threads, named by its module: every thread that needs it imports
 * `module` and calls the factory it exports with `options`. Functions cannot cross to a thread,
 * hence a module, not an object.
 */
export interface StageModule {
  /** An ES module: a file URL or an absolute path (resolve a package name with `import.meta.resolve`). */
  module: string | URL
  /** Given to the factory in each thread: plain data, as structured clone copies it. Default `{}`. */
  options?: Record<string, unknown>
}

/**
 * The stages the scheduler runs, each a module exporting a factory (see the README, "Stages"). The
 * scheduler imports none of them itself: whoever composes an install names them (tote's CLI names
 * `@tote/extractor`, `@tote/content-cache` and `@tote/cloner`, or the modules given on its command line).
 */
export interface SchedulerStages {
  /** Exports `createExtractor(options)` → {@link ExtractorStage}: unpacks a tarball into the cache's staging folder. */
  extractor: StageModule
  /**
   * Exports `createContentCache(options)` → {@link ContentCacheStage}: looks entries up, commits new
   * ones, removes damaged ones. Also created on the calling thread, where `has()` decides what to fetch.
   */
  contentCache: StageModule
  /** Exports `createCloner(options)` → {@link ClonerStage}: places a cached package in node_modules. */
  cloner: StageModule
}

/** The factories the stage modules export, as the scheduler calls them. */
export interface StageFactories {
  createExtractor(options: Record<string, unknown>): ExtractorStage
  createContentCache(options: Record<string, unknown>): ContentCacheStage
  createCloner(options: Record<string, unknown>): ClonerStage
}

export interface SchedulerOptions {
  /** The stages that run in worker threads (and, for small installs, on this one). */
  stages: SchedulerStages
  /**
   * How stage modules are loaded on the calling thread (worker threads use `import()`). Default
   * `import()`; a host that compiles this code through node:vm, where `import()` is unavailable,
   * passes one from a real module. A host may also answer with a module it holds already.
   */
  importModule?: (specifier: string) => Promise<unknown>
  /**
   * Worker threads for unpacking and cloning; 0 runs them on the calling thread. Default: one per
   * core, started with the first install of 150 packages or more (smaller ones run here).
   */
  workers?: number
  /** Downloads in flight at once. Default 16. */
  downloadConcurrency?: number
  /**
   * Downloads in flight at once before the first `install()`, when only prefetches run (while a
   * resolver that shares the connections is still at work). Default: `downloadConcurrency`.
   */
  prefetchConcurrency?: number
  /**
   * Downloaded bytes waiting to be unpacked, above which no new download starts (memory stays flat
   * when the network outruns the disk). Default 64 MiB.
   */
  maxPendingBytes?: number
  /** Typed events: every job's start and end (for progress and `--trace`), and stage warnings. */
  onEvent?: (event: SchedulerEvent) => void
  /** The worker module, when a bundler moved it. Default: `_worker.js` next to this module. */
  workerFile?: string | URL
}

/** The kinds of work the scheduler runs: `scripts` is one package's script job (see {@link ScriptStage}). */
export type JobKind = 'download' | 'unpack' | 'clone' | 'scripts'

/** What the scheduler reports. Times are `performance.timeOrigin`-based milliseconds (epoch). */
export type SchedulerEvent =
  | { type: 'job-start'; kind: JobKind; id: string; at: number }
  | {
      type: 'job-end'
      kind: JobKind
      id: string
      /**
       * What the job was about: `name@version` for a download or an unpack, a count for a clone
       * batch, the install path for a script job.
       */
      label: string
      /** Start and end of the work itself (in a worker: the worker's clock, same origin). */
      start: number
      end: number
      /** Worker thread id, 0 for this thread. */
      thread: number
      /** Packages this job put into node_modules. */
      packages: number
      bytes?: number
      files?: number
    }
  /** A stage's warning, with the job that raised it (`job-end` of that id follows). */
  | { type: 'warning'; warning: StageWarning; id: string }

/** What one {@link Scheduler.install} did. */
export interface InstallStats {
  packages: number
  /** Packages whose tarball was downloaded, here or by a prefetch (the others came from the cache). */
  downloaded: number
  /** Files placed in node_modules. */
  files: number
}

export interface InstallOptions {
  signal?: AbortSignal
  /** Optional packages: when one fails to download or unpack, the install goes on without it. */
  isOptional?: (pkg: ScheduledPackage) => boolean
  /** Told about each optional package that failed (its folder has been removed). */
  onOptionalFailure?: (pkg: ScheduledPackage, error: unknown) => void
  /**
   * Told about each package as soon as its folder is complete (the task that placed it has ended),
   * while the others are still being placed. Once per package; never for one that failed. Must not
   * throw.
   */
  onPlaced?: (pkg: ScheduledPackage) => void
  /**
   * The script jobs of this install ({@link Scheduler.scriptJobs}): the packages their scripts need
   * are placed first, and each package's job is queued as soon as its part of the tree is in place.
   * One install per `ScriptJobs`.
   */
  scripts?: ScriptJobs
}

/**
 * The stage that runs dependencies' install scripts. It runs on the calling thread (a job spawns
 * processes and waits on them) and is given as an object, not a module. The stage decides which
 * packages have a job and what a job does (their scripts, or a built result from a cache); the
 * scheduler decides when each job starts: once the package, everything it depends on (transitively)
 * and their bins are in place, after the jobs of what it depends on have ended (npm's rule), at most
 * `concurrency` at once. Every function is called on the calling thread, one at a time.
 */
export interface ScriptStage {
  /**
   * The install paths the package at `path` depends on directly, as the lockfile resolves them.
   * Undefined when they are only known once the whole tree is in place (a link, a path the lockfile
   * lacks): a job whose closure has such a package starts only after placing ends.
   */
  dependencies(path: string): readonly string[] | undefined
  /**
   * Whether the package at `path` has a job in this install: asked once per package, when its folder
   * is complete (placed by this install), or for one of `inPlace` when nothing around it is still to
   * be placed. Never for a package that failed to install (nor one inside it).
   */
  select(path: string): boolean
  /** Every package is placed (or failed): asked after the last `select`, before the jobs that wait for the whole tree. */
  treePlaced?(): void
  /**
   * What a job needs besides its part of the tree, before it waits for its turn (its closure's bins):
   * `closure` is the package and what it depends on, transitively, without failed packages.
   */
  prepare?(path: string, closure: readonly string[]): Promise<void>
  /** The job. `signal` aborts when the script jobs are cancelled. */
  run(path: string, options: { signal: AbortSignal }): Promise<void>
}

export interface ScriptJobsOptions {
  /**
   * Install paths in place before the install whose jobs may be due too (an earlier install left
   * their scripts to run): each is offered to `select` once nothing around it is still to be placed.
   */
  inPlace?: readonly string[]
  /** Jobs running at once. Default: one less than the cores, at least 1. */
  concurrency?: number
}

/**
 * The script jobs of one install. A throw or rejection from any function of the stage is their
 * failure: no job starts after it, the running ones end, and `done()` rejects with it.
 */
export interface ScriptJobs {
  /**
   * The tree is complete (also when `install()` was never called): starts what waited for the whole
   * tree, and resolves once every job has ended. Rejects with the first failure, after the running
   * jobs have ended.
   */
  done(): Promise<ScriptJobsStats>
  /** Stops: aborts the running jobs' signal and waits for them; none starts. */
  cancel(): Promise<void>
  /** Jobs known and not ended (waiting for their part of the tree, their turn, or running). */
  readonly unfinished: number
}

/** What the script jobs did. */
export interface ScriptJobsStats {
  /** Jobs that ran (to the end, however it ended). */
  ran: number
}

export interface Scheduler {
  /** Starts fetching a package into the cache now; once per integrity, however often asked. */
  prefetch(request: PrefetchRequest): void
  /**
   * Starts the worker threads now when an install of this size will use them, so that their
   * start-up (hundreds of ms) overlaps reading and planning the lockfile. A size that will not use
   * them (fewer than 150 packages, `workers` unset) holds prefetched tarballs, downloaded, until
   * `install()` chooses where they are unpacked (on this thread for a small install), or until
   * 150 prefetches start the threads: adding a package to an installed project starts none.
   */
  warmUp(expectedPackages: number): void
  /**
   * Puts every package at its `destDir`: cache hits are cloned at once, misses are downloaded,
   * unpacked into the cache and cloned as each arrives. Rejects on the first fatal error, after
   * cancelling what has not started.
   */
  install(packages: ScheduledPackage[], options?: InstallOptions): Promise<InstallStats>
  /**
   * Script jobs run through `stage`: give them to one `install()` (its placing queues them as their
   * part of the tree is in place), then await `done()`, or `cancel()` if the install failed.
   */
  scriptJobs(stage: ScriptStage, options?: ScriptJobsOptions): ScriptJobs
  /** Stops the worker threads. */
  close(): Promise<void>
}
