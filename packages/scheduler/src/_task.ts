import type { CachedPackage, PlainError, StageWarning } from '@tote/types'

/** The stage modules as a worker gets them: file URLs, and the options for their factories. */
export interface TaskStages {
  /** Names this set of stages in a thread's memo (the same for every task of one scheduler). */
  key: string
  extractor: { module: string; options: Record<string, unknown> }
  contentCache: { module: string; options: Record<string, unknown> }
  cloner: { module: string; options: Record<string, unknown> }
}

/** Where one cached package goes. */
export interface CloneTarget {
  destDir: string
  privateCopy: boolean
}

/** Unpack a verified tarball into the cache, then clone it to its targets (one worker task). */
export interface UnpackTask {
  kind: 'unpack'
  stages: TaskStages
  integrity: string
  /** The package fetched: the cache entry is recorded as its. */
  name: string
  version: string
  tarball: ArrayBuffer
  targets: CloneTarget[]
  /** Send the cache entry back (a prefetch: install() clones it later without looking it up again). */
  returnEntry?: boolean
}

/** Clone cached packages to their targets (one worker task, many packages). */
export interface CloneTask {
  kind: 'clone'
  stages: TaskStages
  items: CloneItem[]
}

/** One package of a clone task: the cache entry of `integrity`, if it is `name@version`'s. */
export interface CloneItem {
  /** The scheduler's name for the job, reported back in `missing`. */
  key: string
  integrity: string
  name: string
  version: string
  targets: CloneTarget[]
  /**
   * The entry as an unpack task of this scheduler added it (its result's `entry`): cloned as it is,
   * not looked up and checked again, as an unpack task clones what it has just written.
   */
  entry?: CachedPackage
}

export type WorkerTask = UnpackTask | CloneTask

/** What a task sends back: data only (structured clone), its error as a PlainError. */
export interface WorkerResult {
  /**
   * Keys of clone items whose cache entry was missing, damaged or another package's: the scheduler
   * fetches them.
   */
  missing: string[]
  files: number
  packages: number
  /** The warnings this task's stage calls raised, and only those. */
  warnings: StageWarning[]
  start: number
  end: number
  thread: number
  /** An unpack task's entry, when it was asked for (`returnEntry`). */
  entry?: CachedPackage
  error?: PlainError
}
