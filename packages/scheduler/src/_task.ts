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
  packageId: string
  tarball: ArrayBuffer
  targets: CloneTarget[]
}

/** Clone cached packages to their targets (one worker task, many packages). */
export interface CloneTask {
  kind: 'clone'
  cacheDir: string
  strategy: CloneStrategy
  clonerModule?: string
  items: { integrity: string; packageId: string; targets: CloneTarget[] }[]
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
  /** Integrities whose cache entry was missing or damaged: the scheduler fetches them again. */
  missing: string[]
  files: number
  packages: number
  warnings: StageWarning[]
  start: number
  end: number
  thread: number
  error?: SerializedError
}
