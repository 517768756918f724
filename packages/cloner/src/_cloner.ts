import type { CachedPackage, StageWarning } from '@tote/types'
import { ToteError } from '@tote/types'
import type { EngineState } from './_engine.js'
import { createCloneEngine, defaultCloneFs } from './_engine.js'
import { combineFailures, deserializeError, encodeJob } from './_jobs.js'
import type { ClonePool } from './_pool.js'
import {
  autoWorkerCount,
  clonerWorkerUrl,
  createClonePool,
  FILES_PER_CHUNK,
  MIN_FILES_FOR_WORKERS,
  splitByFileCount,
  spreadOverThreads,
} from './_pool.js'
import { recallStrategy, rememberStrategy, stateFor } from './_strategy-memory.js'
import type { CloneFs, CloneJob, Cloner, ClonerOptions, ConcreteCloneStrategy } from './types.js'

/** How long cloneMany may hold the event loop on this thread before it lets other work run. */
const YIELD_EVERY_MS = 20
/** How many packages cloneMany clones on this thread to settle `auto` before handing out the rest. */
const MAX_SETTLING_JOBS = 8

export function createCloner(options: ClonerOptions = {}): Cloner {
  const strategy = options.strategy ?? 'auto'
  const fs: CloneFs = { ...defaultCloneFs, ...options.fs }
  const fsReplaced = options.fs !== undefined && Object.keys(options.fs).length > 0
  const { stateDir } = options
  const workerFile = options.workerFile ?? clonerWorkerUrl()
  /** Created for a thread count, replaced when `auto` picks another one. */
  let pool: ClonePool | undefined

  const seenWarnings = new Set<string>()
  function warn(warning: StageWarning): void {
    const key = `${warning.code}\0${warning.message}`
    if (seenWarnings.has(key)) return
    seenWarnings.add(key)
    options.onWarning?.(warning)
  }

  const engine = createCloneEngine({ strategy, fs, onWarning: warn })
  /** `<device of the cache>:<device of node_modules>`, read at the first clone when there is a stateDir. */
  let pairKey: string | undefined
  let remembered: ConcreteCloneStrategy | undefined

  function recall(source: CachedPackage, destDir: string): void {
    if (strategy !== 'auto' || stateDir === undefined || pairKey !== undefined) return
    let sourceDevice: number
    try {
      sourceDevice = fs.statSync(source.dir).dev
    } catch (error) {
      throw new ToteError(
        'ECACHEDAMAGED',
        `The cached package ${source.integrity} is missing (${source.dir})`,
        {
          hint: 'The content cache entry is damaged; fetch the package again.',
          cause: error,
          details: { integrity: source.integrity, file: '.', destDir },
        },
      )
    }
    fs.mkdirSync(destDir, { recursive: true })
    pairKey = `${sourceDevice}:${fs.statSync(destDir).dev}`
    remembered = recallStrategy(stateDir, pairKey)
    if (remembered !== undefined) Object.assign(engine.state, stateFor(remembered))
  }

  function remember(): void {
    if (stateDir === undefined || pairKey === undefined) return
    const found = engine.effectiveStrategy()
    if (found === undefined || found === remembered) return
    remembered = found
    try {
      rememberStrategy(stateDir, pairKey, found)
    } catch (error) {
      warn({ code: 'ECLONESTATE', message: `Could not remember the clone strategy in ${stateDir}: ${error}` })
    }
  }

  function cloneHere(job: CloneJob): void {
    try {
      recall(job.source, job.destDir)
      engine.cloneSync(job.source, job.destDir, job.privateCopy === true)
    } finally {
      remember()
    }
  }

  /** Worker threads for this batch (0: all on this thread), with a pool of that size ready to start. */
  async function threadsFor(jobs: readonly CloneJob[]): Promise<number> {
    if (options.workers === false || fsReplaced || jobs.length === 0) return 0
    let count: number
    if (typeof options.workers === 'number') {
      count = Math.max(0, Math.floor(options.workers))
    } else {
      let files = 0
      for (const job of jobs) files += job.source.files.length
      count = files < MIN_FILES_FOR_WORKERS ? 0 : autoWorkerCount(engine.effectiveStrategy())
    }
    if (count === 0) return 0
    if (pool !== undefined && pool.threads !== count) {
      await pool.close()
      pool = undefined
    }
    pool ??= createClonePool(workerFile, count)
    if (!pool.available()) {
      warn({
        code: 'ECLONEWORKER',
        message:
          'The cloner worker module is missing or failed (see @tote/cloner README, bundling); cloning on one thread.',
      })
      return 0
    }
    return count
  }

  async function cloneOnThisThread(jobs: readonly CloneJob[], failures: Error[]): Promise<void> {
    let since = performance.now()
    for (const job of jobs) {
      try {
        cloneHere(job)
      } catch (error) {
        failures.push(error as Error)
      }
      if (performance.now() - since > YIELD_EVERY_MS) {
        await new Promise((resolve) => setImmediate(resolve))
        since = performance.now()
      }
    }
  }

  async function cloneOnWorkers(
    jobs: readonly CloneJob[],
    pool: ClonePool,
    failures: Error[],
  ): Promise<void> {
    const state: EngineState = { ...engine.state }
    const redo: CloneJob[] = []
    await spreadOverThreads({
      chunks: splitByFileCount(jobs, FILES_PER_CHUNK),
      pool,
      threads: pool.threads,
      helpHere: true,
      task: (chunk) => ({ strategy, state, jobs: chunk.map(encodeJob) }),
      absorb(result) {
        result.warnings.forEach(warn)
        for (const failure of result.failures) failures.push(deserializeError(failure))
        // A worker that had to probe (this thread had no answer yet) tells what it found.
        for (const kind of ['reflink', 'hardlink'] as const) {
          const found = result.state[kind]
          if ((found === 'works' || found === 'fails') && engine.state[kind] !== 'works')
            engine.state[kind] = found
        }
      },
      cloneHere(chunk) {
        for (const job of chunk) {
          try {
            cloneHere(job)
          } catch (error) {
            failures.push(error as Error)
          }
        }
      },
      onWorkerFailure(error, chunk) {
        // The worker could not start or died: nothing (or, rarely, part) of its chunk is done.
        warn({
          code: 'ECLONEWORKER',
          message: `A cloner worker thread failed (${String(error)}); cloning its packages on this thread.`,
        })
        redo.push(...chunk)
      },
    })
    remember()
    if (redo.length > 0) await cloneOnThisThread(redo, failures)
  }

  const cloner: Cloner = {
    get effectiveStrategy() {
      return engine.effectiveStrategy()
    },
    cloneSync(source, destDir, cloneOptions) {
      cloneHere({ source, destDir, privateCopy: cloneOptions?.privateCopy })
    },
    async clone(source, destDir, cloneOptions) {
      await cloner.cloneMany([{ source, destDir, privateCopy: cloneOptions?.privateCopy }])
    },
    async cloneMany(jobs) {
      const failures: Error[] = []
      // Settle `auto` here first, so that the workers start with the answer instead of each probing.
      let next = 0
      while (next < jobs.length && next < MAX_SETTLING_JOBS && engine.effectiveStrategy() === undefined) {
        try {
          cloneHere(jobs[next++]!)
        } catch (error) {
          failures.push(error as Error)
        }
      }
      const rest = jobs.slice(next)
      if ((await threadsFor(rest)) > 0) await cloneOnWorkers(rest, pool!, failures)
      else await cloneOnThisThread(rest, failures)
      if (failures.length > 0) throw combineFailures(failures)
    },
    async close() {
      await pool?.close()
      pool = undefined
    },
  }
  return cloner
}
