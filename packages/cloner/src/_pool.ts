import { existsSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import Tinypool from 'tinypool'
import type { WorkerResult, WorkerTask } from './_jobs.js'
import type { CloneJob, ConcreteCloneStrategy } from './types.js'

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
 * `workers: 'auto'` uses threads only for batches at least this big (files): below it, starting a
 * thread costs more than it can save (see the README's measurements).
 */
export const MIN_FILES_FOR_WORKERS = 10_000
/** `workers: 'auto'` uses at most this many threads besides the calling one. */
export const MAX_AUTO_WORKERS = 2
/**
 * Files per chunk handed out: small enough that the calling thread, which clones chunks too,
 * returns to its event loop every few ms; big enough that per-task overhead (~0.1 ms) stays noise.
 */
export const FILES_PER_CHUNK = 1_000

/**
 * Helper threads for `workers: 'auto'`: one per core that is idle now (by the 1-minute load
 * average), minus the calling thread's, at most {@link MAX_AUTO_WORKERS}. Measured on 2 busy
 * shared cores (README): hard links got slower with any helper (even plain link loops on threads
 * started beforehand did not scale), copies got ~25% faster with one, so copies get one anyway.
 */
export function autoWorkerCount(
  strategy: ConcreteCloneStrategy | undefined,
  cores = availableParallelism(),
  load = loadavg()[0] ?? 0,
): number {
  const idle = Math.round(cores - load) - 1
  const wanted = strategy === 'copy' && cores >= 2 ? Math.max(1, idle) : idle
  return Math.max(0, Math.min(MAX_AUTO_WORKERS, wanted))
}

export interface ClonePool {
  readonly threads: number
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
    const started = new Tinypool({
      filename: path,
      minThreads: threads,
      maxThreads: threads,
      // Two tasks per worker: the next chunk is already waiting in the worker when it finishes one,
      // even while the calling thread is busy cloning and cannot hand out work.
      concurrentTasksPerWorker: 2,
    })
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
    threads,
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
      if (!running) return
      for (const worker of running.threads) givesListenersBack(worker)
      // A worker that failed while starting rejects destroy() with the error already reported.
      await running.destroy().catch(() => {})
    },
  }
}

/**
 * tinypool's destroy() waits with `events.once(worker, 'exit')` on its own worker wrapper, which
 * has `once` but no `removeListener`. When a worker that is failing to start emits 'error' during
 * that wait, Node calls `removeListener` and throws an uncaught TypeError (tinypool 2.2.0).
 */
function givesListenersBack(worker: unknown): void {
  const wrapper = worker as {
    thread?: { off(event: string, listener: (...args: unknown[]) => void): unknown }
    removeListener?: unknown
  }
  const thread = wrapper.thread
  if (typeof wrapper.removeListener === 'function' || !thread) return
  wrapper.removeListener = (event: string, listener: (...args: unknown[]) => void) =>
    thread.off(event, listener)
}

/** Splits jobs, in order, into chunks of about `filesPerChunk` files (a package is never split). */
export function splitByFileCount(jobs: readonly CloneJob[], filesPerChunk: number): CloneJob[][] {
  const chunks: CloneJob[][] = []
  let chunk: CloneJob[] = []
  let size = 0
  for (const job of jobs) {
    chunk.push(job)
    size += job.source.files.length + 1
    if (size >= filesPerChunk) {
      chunks.push(chunk)
      chunk = []
      size = 0
    }
  }
  if (chunk.length > 0) chunks.push(chunk)
  return chunks
}

/**
 * Clones chunks on the pool's threads and, while they start and run, on the calling thread too:
 * a worker takes hundreds of ms to start on a loaded machine, and the calling thread would
 * otherwise wait idle. Each worker keeps two chunks in flight.
 */
export async function spreadOverThreads(options: {
  chunks: readonly CloneJob[][]
  pool: ClonePool
  threads: number
  helpHere: boolean
  task(chunk: readonly CloneJob[]): WorkerTask
  absorb(result: WorkerResult): void
  cloneHere(chunk: readonly CloneJob[]): void
  onWorkerFailure(error: unknown, chunk: readonly CloneJob[]): void
}): Promise<void> {
  const { chunks, pool, threads } = options
  let next = 0
  const take = (): readonly CloneJob[] | undefined => (next < chunks.length ? chunks[next++] : undefined)
  let inFlight = 0
  let allReturned: (() => void) | undefined
  const pump = (): void => {
    for (let chunk = inFlight < threads * 2 ? take() : undefined; chunk; ) {
      const sent = chunk
      inFlight++
      pool
        .run(options.task(sent))
        .then(options.absorb, (error: unknown) => options.onWorkerFailure(error, sent))
        .finally(() => {
          inFlight--
          pump()
          if (inFlight === 0) allReturned?.()
        })
      chunk = inFlight < threads * 2 ? take() : undefined
    }
  }
  // Hand out chunks only once a worker is up, so that none wait in a queue while this thread is idle.
  let started = false
  let finished = false
  const starting = pool
    .run({ strategy: 'copy', state: { reflink: 'fails', hardlink: 'fails' }, jobs: [] })
    .then(
      () => {
        started = true
        pump()
      },
      // After this thread did all the work, a worker that never started (or was closed) cost nothing.
      (error: unknown) => finished || options.onWorkerFailure(error, []),
    )
  if (options.helpHere) {
    for (let chunk = take(); chunk; chunk = take()) {
      options.cloneHere(chunk)
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  // Wait for the workers only if they have work: a worker still starting when this thread has
  // done everything is not waited for (it starts in the background and idles).
  if (next < chunks.length && !started) await starting
  if (inFlight > 0) await new Promise<void>((resolve) => (allReturned = resolve))
  // Whatever the workers could not take (they failed to start) is done here.
  for (let chunk = take(); chunk; chunk = take()) options.cloneHere(chunk)
  finished = true
}
