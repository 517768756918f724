import type { InstallPackage, StageWarning } from '@tote/types'

/** How files get from the content cache into node_modules (the cloner's strategies). */
export type CloneStrategy = 'auto' | 'reflink' | 'hardlink' | 'copy'

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

export interface SchedulerOptions {
  /** The content cache folder (`@tote/content-cache` layout). */
  cacheDir: string
  /** Cloner strategy. Default `auto`. */
  cloneStrategy?: CloneStrategy
  /**
   * Another cloner, to compare it with tote's: a module (file URL or path) exporting
   * `createCloner(options)` shaped like @tote/cloner's (`cloneSync(source, destDir, { privateCopy })`
   * is what the scheduler calls). It runs wherever cloning runs, worker threads included.
   */
  clonerModule?: string
  /**
   * How `clonerModule` is loaded on the calling thread (worker threads use `import()`). Default
   * `import()`; a host that compiles this code through node:vm, where `import()` is unavailable,
   * passes one from a real module.
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
   * when the network outruns the disk). Default 256 MiB.
   */
  maxPendingBytes?: number
  /** Typed events: every job's start and end (for progress and `--trace`), and stage warnings. */
  onEvent?: (event: SchedulerEvent) => void
  /** The worker module, when a bundler moved it. Default: `_worker.js` next to this module. */
  workerFile?: string | URL
}

/** The kinds of work the scheduler runs. */
export type JobKind = 'download' | 'unpack' | 'clone'

/** What the scheduler reports. Times are `performance.timeOrigin`-based milliseconds (epoch). */
export type SchedulerEvent =
  | { type: 'job-start'; kind: JobKind; id: string; at: number }
  | {
      type: 'job-end'
      kind: JobKind
      id: string
      /** What the job was about: `name@version` for a download or an unpack, a count for a clone batch. */
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
  | { type: 'warning'; warning: StageWarning }

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
}

export interface Scheduler {
  /** Starts fetching a package into the cache now; once per integrity, however often asked. */
  prefetch(request: PrefetchRequest): void
  /**
   * Starts the worker threads now when an install of this size will use them, so that their
   * start-up (hundreds of ms) overlaps reading and planning the lockfile.
   */
  warmUp(expectedPackages: number): void
  /**
   * Puts every package at its `destDir`: cache hits are cloned at once, misses are downloaded,
   * unpacked into the cache and cloned as each arrives. Rejects on the first fatal error, after
   * cancelling what has not started.
   */
  install(packages: ScheduledPackage[], options?: InstallOptions): Promise<InstallStats>
  /** Stops the worker threads. */
  close(): Promise<void>
}
