import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import Tinypool from 'tinypool'
import type { WorkerResult, WorkerTask } from './_jobs.js'
import type { CloneJob } from './types.js'

/**
 * Where the worker module is: `_worker.js` next to this module (in dist/ after `tsc`). A bundler
 * must emit `@tote/cloner/worker` as `_worker.js` next to the bundle that contains this code, or
 * the caller passes `workerFile` to createCloner. Tinypool itself must stay an external dependency
 * (it starts its own `dist/entry/worker.js` relative to its module).
 */
export function clonerWorkerUrl(): URL {
  return new URL('./_worker.js', import.meta.url)
}

/**
 * `workers: 'auto'` uses threads only for batches at least this big (files): starting two threads
 * and loading the worker module costs ~30-50 ms here, which 2 threads win back from ~10k files on.
 */
export const MIN_FILES_FOR_WORKERS = 10_000
/** `workers: 'auto'` uses at most this many threads (more only add contention on the disk). */
export const MAX_AUTO_WORKERS = 2
/** Chunks per thread: a few, so that a thread slowed by other load does not hold up the end. */
const CHUNKS_PER_THREAD = 4

export function autoWorkerCount(): number {
  return Math.max(1, Math.min(availableParallelism(), MAX_AUTO_WORKERS))
}

export interface ClonePool {
  /** False when the worker module is not where expected (e.g. running from TypeScript sources) or failed. */
  available(): boolean
  /** Rejects when the worker thread dies or cannot start (never hangs on a worker that failed to load). */
  run(task: WorkerTask): Promise<WorkerResult>
  close(): Promise<void>
}

export function createClonePool(workerFile: string | URL, threads: number): ClonePool {
  const path =
    workerFile instanceof URL || workerFile.startsWith('file:') ? fileURLToPath(workerFile) : workerFile
  let exists: boolean | undefined
  let broken = false
  let pool: Tinypool | undefined
  const pending = new Set<(error: unknown) => void>()

  function start(): Tinypool {
    const started = new Tinypool({ filename: path, minThreads: threads, maxThreads: threads })
    // A worker that fails while starting makes tinypool emit 'error' (fatal without a listener) and
    // stop replacing workers, so queued tasks would wait forever: fail them all instead.
    started.on('error', (error: unknown) => {
      broken = true
      for (const reject of pending) reject(error)
      pending.clear()
    })
    return started
  }

  return {
    available() {
      exists ??= existsSync(path)
      return exists && !broken
    },
    run(task) {
      pool ??= start()
      const running = pool
      return new Promise<WorkerResult>((resolve, reject) => {
        pending.add(reject)
        running.run(task).then(
          (result: WorkerResult) => {
            pending.delete(reject)
            resolve(result)
          },
          (error: unknown) => {
            broken = true
            pending.delete(reject)
            reject(error)
          },
        )
      })
    },
    async close() {
      const running = pool
      pool = undefined
      broken = false
      await running?.destroy()
    },
  }
}

/** Splits jobs, in order, into about `parts` chunks of similar file counts. */
export function splitByFileCount(jobs: readonly CloneJob[], parts: number): CloneJob[][] {
  let total = 0
  for (const job of jobs) total += job.source.files.length + 1
  const target = Math.max(1, Math.ceil(total / Math.max(1, parts)))
  const chunks: CloneJob[][] = []
  let chunk: CloneJob[] = []
  let size = 0
  for (const job of jobs) {
    chunk.push(job)
    size += job.source.files.length + 1
    if (size >= target) {
      chunks.push(chunk)
      chunk = []
      size = 0
    }
  }
  if (chunk.length > 0) chunks.push(chunk)
  return chunks
}

export function chunksFor(threads: number): number {
  return threads * CHUNKS_PER_THREAD
}
