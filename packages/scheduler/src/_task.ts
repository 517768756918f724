import type { StageWarning } from '@tote/types'
import type { CloneStrategy } from './types.js'

/** Where one cached package goes. */
export interface CloneTarget {
  destDir: string
  privateCopy: boolean
}

/** Unpack a verified tarball into the cache, then clone it to its targets (one worker task). */
export interface UnpackTask {
  kind: 'unpack'
  cacheDir: string
  strategy: CloneStrategy
  /** A module to take the cloner from instead of @tote/cloner (file URL), see SchedulerOptions. */
  clonerModule?: string
  integrity: string
  /** The package fetched: the cache entry is recorded as its. */
  name: string
  version: string
  tarball: ArrayBuffer
  targets: CloneTarget[]
}

/** Clone cached packages to their targets (one worker task, many packages). */
export interface CloneTask {
  kind: 'clone'
  cacheDir: string
  strategy: CloneStrategy
  clonerModule?: string
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
}

export type WorkerTask = UnpackTask | CloneTask

export interface SerializedError {
  code?: string
  message: string
  hint?: string
  details?: Record<string, unknown>
  stack?: string
}

export interface WorkerResult {
  /**
   * Keys of clone items whose cache entry was missing, damaged or another package's: the scheduler
   * fetches them.
   */
  missing: string[]
  files: number
  packages: number
  warnings: StageWarning[]
  start: number
  end: number
  thread: number
  error?: SerializedError
}
