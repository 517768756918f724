import type { CachedPackage, PackageFile, StageWarning } from '@tote/types'
import { isToteError, ToteError } from '@tote/types'
import type { CloneEngine, EngineState } from './_engine.js'
import type { CloneJob, CloneStrategy } from './types.js'

/**
 * A job as sent to a worker. Structured-cloning 135k `{ path, mode, size }` objects costs hundreds
 * of milliseconds; two strings per package cost a few.
 */
export interface EncodedJob {
  integrity: string
  dir: string
  destDir: string
  privateCopy: boolean
  /** File paths joined by NUL (the one character no path can hold). */
  paths: string
  /** One UTF-16 code unit per file: its mode (≤ 0o7777, so never a surrogate). */
  modes: string
}

export interface WorkerTask {
  strategy: CloneStrategy
  state: EngineState
  jobs: EncodedJob[]
}

export interface WorkerResult {
  state: EngineState
  warnings: StageWarning[]
  failures: SerializedError[]
}

export interface SerializedError {
  tote: boolean
  name: string
  message: string
  code?: string
  hint?: string
  details?: Record<string, unknown>
  stack?: string
}

export function encodeJob(job: CloneJob): EncodedJob {
  const paths: string[] = []
  const modes: string[] = []
  for (const file of job.source.files) {
    paths.push(file.path)
    modes.push(String.fromCharCode(file.mode & 0o7777))
  }
  return {
    integrity: job.source.integrity,
    dir: job.source.dir,
    destDir: job.destDir,
    privateCopy: job.privateCopy === true,
    paths: paths.join('\0'),
    modes: modes.join(''),
  }
}

export function decodeJob(job: EncodedJob): CloneJob {
  const files: PackageFile[] = []
  if (job.modes.length > 0) {
    const paths = job.paths.split('\0')
    for (let i = 0; i < paths.length; i++) {
      files.push({ path: paths[i]!, mode: job.modes.charCodeAt(i), size: 0 })
    }
  }
  const source: CachedPackage = { integrity: job.integrity, dir: job.dir, files }
  return { source, destDir: job.destDir, privateCopy: job.privateCopy }
}

/** Runs every job, collecting failures instead of stopping at the first. */
export function runJobs(engine: CloneEngine, jobs: readonly CloneJob[], failures: Error[]): void {
  for (const job of jobs) {
    try {
      engine.cloneSync(job.source, job.destDir, job.privateCopy === true)
    } catch (error) {
      failures.push(error instanceof Error ? error : new Error(String(error)))
    }
  }
}

export function serializeError(error: Error): SerializedError {
  const tote = isToteError(error)
  return {
    tote,
    name: error.name,
    message: error.message,
    code: (error as { code?: string }).code,
    hint: tote ? error.hint : undefined,
    details: tote ? error.details : undefined,
    stack: error.stack,
  }
}

export function deserializeError(serialized: SerializedError): Error {
  const error =
    serialized.tote && serialized.code !== undefined
      ? new ToteError(serialized.code, serialized.message, {
          hint: serialized.hint,
          details: serialized.details,
        })
      : Object.assign(new Error(serialized.message), { code: serialized.code })
  if (serialized.stack !== undefined) error.stack = serialized.stack
  return error
}

/**
 * One error for a batch: a single failure as it is; else the first that is not a damaged cache
 * entry (it is the more fundamental problem, e.g. a full disk); else one `ECACHEDAMAGED` that lists
 * every damaged package in `details.packages`, so that the caller can refetch them all at once.
 */
export function combineFailures(failures: readonly Error[]): Error {
  const first = failures[0]!
  if (failures.length === 1) return first
  const other = failures.find((error) => !isToteError(error) || error.code !== 'ECACHEDAMAGED')
  if (other) return other
  const packages = failures.map((error) => (error as ToteError).details)
  return new ToteError(
    'ECACHEDAMAGED',
    `${failures.length} cached packages are damaged: ${first.message}, …`,
    {
      hint: 'Fetch these packages again.',
      cause: first,
      details: { ...(first as ToteError).details, packages },
    },
  )
}
