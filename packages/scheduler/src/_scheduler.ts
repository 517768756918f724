import { setMaxListeners } from 'node:events'
import { rm } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { pathToFileURL } from 'node:url'
import { type CachedPackage, type ContentCacheStage, fromPlainError } from '@tote/types'
import Tinypool from 'tinypool'
import { createLimiter } from './_limiter.js'
import { createScriptJobs, placingHooks } from './_script-jobs.js'
import { importModule, loadStage } from './_stages.js'
import type {
  CloneItem,
  CloneTarget,
  CloneTask,
  TaskStages,
  UnpackTask,
  WorkerResult,
  WorkerTask,
} from './_task.js'
import runTask from './_worker.js'
import type {
  InstallOptions,
  InstallStats,
  PrefetchRequest,
  ScheduledPackage,
  Scheduler,
  SchedulerDeps,
  SchedulerOptions,
  SchedulerStages,
  StageModule,
} from './types.js'

const fromSource = import.meta.url.endsWith('.ts')
/** Packages per clone task: large enough that task overhead vanishes, small enough to spread well. */
const CLONE_BATCH = 48
/**
 * Towards the end of the list, tasks shrink to this size: a last task of 48 packages (one of them
 * core-js, say) would keep one thread busy while the others have nothing left to do.
 */
const LAST_CLONE_BATCH = 4
/** With `workers` unset, installs of fewer packages run on the calling thread. */
const INLINE_BELOW = 150

/**
 * One job per integrity and package: a cache entry serves only the package it was fetched for, so
 * two packages that a (tampered) lockfile gives one integrity are fetched each from its own URL.
 */
function jobKey(request: PrefetchRequest): string {
  return `${request.integrity}\0${request.name}@${request.version}`
}

/** The worker module: `_worker.js` next to this one, or (from sources) a shim that loads the .ts. */
export function schedulerWorkerFile(): URL {
  return new URL(fromSource ? './_worker-from-source.mjs' : './_worker.js', import.meta.url)
}

/**
 * Creates the scheduler: the one place that decides what runs when during an install, and the only
 * one that starts worker threads. Downloads run on this thread (they wait on the network), through
 * `deps.download`; unpacking and cloning run in worker threads, through the stage modules that
 * `options.stages` names, fed as soon as each tarball arrives, so the network, the CPU and the disk
 * all stay busy.
 */
export function createScheduler(deps: SchedulerDeps, options: SchedulerOptions): Scheduler {
  const stages = taskStages(options.stages)
  const load = options.importModule ?? importModule
  const emit = options.onEvent ?? (() => {})
  // 64 MiB: ant-design's p0 peaked at 677 MB with 256 MiB and 553 MB with 64 MiB, unpacking (not
  // the network) deciding the time either way (docs/decisions/2026-12-07-p1-memory-start-up.md).
  const maxPendingBytes = options.maxPendingBytes ?? 64 * 1024 * 1024
  const workerFile = options.workerFile ?? schedulerWorkerFile()
  /** Started on first need; small installs never pay for starting threads (see README). */
  let pool: Tinypool | undefined
  let inline = options.workers === 0

  const threadCount = Math.max(
    1,
    typeof options.workers === 'number' ? options.workers : availableParallelism(),
  )

  /**
   * Set by warmUp() with a small count: prefetched tarballs are downloaded but not unpacked until
   * it is known where unpacking runs (install() chooses, or enough prefetches start the threads),
   * so that a small install on an installed project starts no threads for them.
   */
  let holdPrefetches = false
  let prefetches = 0
  let release: () => void = () => {}
  const placeKnown = new Promise<void>((resolve) => {
    release = resolve
  })

  function startPool(): Tinypool {
    release()
    tasks.setConcurrency(threadCount + 1)
    const count = threadCount
    pool = new Tinypool({
      filename: workerFile instanceof URL ? workerFile.href : workerFile,
      minThreads: count,
      maxThreads: count,
      ...(fromSource && options.workerFile === undefined ? { execArgv: ['--conditions=source'] } : {}),
    })
    return pool
  }
  /**
   * Tasks handed to the threads, largest tarball first (a clone task counts as none): the longest
   * unpack starts as soon as a thread is free instead of waiting behind every small tarball that
   * arrived before it (next-app's 45 MB `next` waited 3-11 s in arrival order). One task more than
   * threads is handed over, so that a thread never idles while this thread is busy (a resolver
   * parsing a large registry document); on the calling thread, one at a time.
   */
  const tasks = createLimiter(inline ? 1 : threadCount + 1, () => true, { deferred: true })
  /** Bytes downloaded and not yet handed to a worker's unpack: the backpressure measure. */
  let pendingBytes = 0
  const downloadConcurrency = options.downloadConcurrency ?? 16
  // Until the first install() only prefetches run, announced by a resolver that is still fetching
  // packuments over the same connections. Holding them to fewer did not pay (see README).
  const downloads = createLimiter(
    Math.min(downloadConcurrency, options.prefetchConcurrency ?? downloadConcurrency),
    () => pendingBytes < maxPendingBytes,
  )
  /**
   * A prefetch: its cache fill (`undefined` when the entry was found in the cache after all), and
   * the folders install() gave it while its unpack task had not been handed to a thread yet: that
   * task places them, so a package prefetched but not yet unpacked is not read back from the cache.
   */
  interface Fill {
    done: Promise<WorkerResult | undefined>
    targets: CloneTarget[]
    /** The unpack task has been handed to a thread: targets added now would not be placed. */
    started: boolean
    /** In the cache (done fulfilled). */
    settled: boolean
    /** The entry the unpack task added, until install() clones it. */
    entry?: CachedPackage | undefined
  }
  /** Cache fills started by prefetch, by job key: one per key however many ask. */
  const fills = new Map<string, Fill>()
  const controller = new AbortController()
  // Every download listens on this one signal.
  setMaxListeners(0, controller.signal)
  let jobIds = 0

  // The content cache on this thread is only asked whether an entry is there; the tasks look entries
  // up (and check them). Loaded now, so that it is ready before the first prefetch, mostly.
  let cache: ContentCacheStage | undefined
  const cacheReady = loadStage(stages, 'contentCache', load).then((loaded) => (cache = loaded))
  // A module that fails to load is install()'s failure (and each prefetch's), not an unhandled one.
  cacheReady.catch(() => {})

  /**
   * Runs a task on a thread when its turn comes (see `tasks`); `onStart` is told just before it is
   * handed over, when its fields are read for the last time.
   */
  async function runInWorker(
    task: WorkerTask,
    transfer: ArrayBuffer[] = [],
    onStart?: () => void,
  ): Promise<WorkerResult> {
    const priority = task.kind === 'unpack' ? task.tarball.byteLength : 0
    const result = await tasks.run(async () => {
      onStart?.()
      const id = `${task.kind}#${++jobIds}`
      emit({ type: 'job-start', kind: task.kind, id, at: performance.timeOrigin + performance.now() })
      // On this thread, a turn of the event loop before each task: what waits on the packages placed
      // so far (a dependency's install scripts, its bins) goes on between tasks, not after all of them.
      const result = inline
        ? await new Promise<void>((resolve) => setImmediate(resolve)).then(() => runTask(task, load))
        : ((await (pool ?? startPool()).run(task, { transferList: transfer })) as WorkerResult)
      return { id, result }
    }, priority)
    return reported(task, result.id, result.result)
  }

  /** A finished task's warnings and end, as events; its error thrown. */
  function reported(task: WorkerTask, id: string, result: WorkerResult): WorkerResult {
    for (const warning of result.warnings) emit({ type: 'warning', warning, id })
    emit({
      type: 'job-end',
      kind: task.kind,
      id,
      label: task.kind === 'unpack' ? `${task.name}@${task.version}` : `${task.items.length} packages`,
      start: result.start,
      end: result.end,
      thread: result.thread,
      packages: result.packages,
      files: result.files,
    })
    if (result.error) throw fromPlainError(result.error)
    return result
  }

  /** Downloads one tarball, then unpacks it into the cache and clones it to `targets` in a worker. */
  async function fetchAndUnpack(
    request: PrefetchRequest,
    targets: CloneTarget[],
    priority = 0,
    prefetch?: { onStart: () => void },
  ): Promise<WorkerResult> {
    const downloaded = await downloads.run(async () => {
      const id = `download#${++jobIds}`
      const start = performance.timeOrigin + performance.now()
      emit({ type: 'job-start', kind: 'download', id, at: start })
      const result = await deps.download(request, { signal: controller.signal })
      pendingBytes += result.data.byteLength
      emit({
        type: 'job-end',
        kind: 'download',
        id,
        label: `${request.name}@${request.version}`,
        start,
        end: performance.timeOrigin + performance.now(),
        thread: 0,
        packages: 0,
        bytes: result.data.byteLength,
      })
      return result
    }, priority)
    // a prefetch held by warmUp waits for install() (or enough prefetches) to choose a thread
    if (targets.length === 0 && holdPrefetches && !pool && !inline) await placeKnown
    const bytes = downloaded.data.byteLength
    const tarball = ownedBuffer(downloaded.data)
    const task: UnpackTask = {
      kind: 'unpack',
      stages,
      integrity: downloaded.integrity,
      name: request.name,
      version: request.version,
      tarball,
      targets,
      ...(prefetch ? { returnEntry: true } : {}),
    }
    try {
      return await runInWorker(task, [tarball], prefetch?.onStart)
    } finally {
      pendingBytes -= bytes
      downloads.poke()
    }
  }

  function prefetch(request: PrefetchRequest): void {
    const key = jobKey(request)
    if (!request.integrity || fills.has(key) || cache?.has(request.integrity)) return
    // this many are an install the threads pay for
    if (holdPrefetches && !pool && !inline && ++prefetches >= INLINE_BELOW) startPool()
    const fill: Fill = { done: Promise.resolve(undefined), targets: [], started: false, settled: false }
    const fetch = () =>
      fetchAndUnpack(request, fill.targets, 0, {
        onStart: () => {
          fill.started = true
        },
      })
    fill.done = (
      cache
        ? fetch()
        : // The content cache module is still loading: decide once it is there. A package found in
          // the cache then is install()'s to clone, as it would have been.
          cacheReady.then((loaded) => {
            if (!loaded.has(request.integrity)) return fetch()
            fills.delete(key)
            return undefined
          })
    ).then((result) => {
      fill.settled = true
      if (!result) return undefined
      const { entry, ...rest } = result
      // kept for install() to clone from, unless the task placed what install() asked for already
      if (fill.targets.length === 0) fill.entry = entry
      return rest
    })
    // Reported by install() if the package is needed; not downloaded again: the registry client
    // already spent every try the configuration allows on it.
    fill.done.catch(() => {})
    fills.set(key, fill)
  }

  async function install(toPlace: ScheduledPackage[], installOptions: InstallOptions = {}) {
    const { signal, isOptional = () => false } = installOptions
    const scripts = installOptions.scripts ? placingHooks(installOptions.scripts) : undefined
    if (installOptions.scripts && !scripts) {
      throw new TypeError('install(): `scripts` must come from this package’s scriptJobs()')
    }
    // what the script jobs need goes first, so that their scripts start early
    const packages = scripts ? scripts.order(toPlace) : toPlace
    const cache = await cacheReady
    downloads.setConcurrency(downloadConcurrency)
    // Threads cost more to start than a small install takes on this one.
    if (options.workers === undefined && !pool) inline = packages.length < INLINE_BELOW
    if (!inline) pool ??= startPool()
    else tasks.setConcurrency(1)
    release()
    signal?.addEventListener('abort', () => controller.abort(signal.reason), { once: true })
    interface Group {
      request: ScheduledPackage
      packages: ScheduledPackage[]
      targets: CloneTarget[]
    }
    // Packages with the same integrity and name@version share one download and one cache entry. An
    // empty integrity (an old lockfile without one) is only known after download: such packages
    // stay on their own.
    const groups = new Map<string, Group>()
    for (const pkg of packages) {
      const target = { destDir: pkg.destDir, privateCopy: pkg.hasInstallScript }
      const key = pkg.integrity ? jobKey(pkg) : `path:${pkg.path}`
      const group = groups.get(key)
      if (group) {
        group.packages.push(pkg)
        group.targets.push(target)
      } else groups.set(key, { request: pkg, packages: [pkg], targets: [target] })
    }
    /** An optional group's failure is reported and forgotten; any other rejects the install. */
    const tolerate = (group: Group) => async (error: unknown) => {
      if (!group.packages.every(isOptional) || controller.signal.aborted) throw error
      await Promise.all(group.targets.map((target) => rm(target.destDir, { recursive: true, force: true })))
      for (const pkg of group.packages) {
        installOptions.onOptionalFailure?.(pkg, error)
        scripts?.failed(pkg.path)
      }
    }
    const stats: InstallStats = { packages: 0, downloaded: 0, files: 0 }
    const count = (result: WorkerResult) => {
      stats.packages += result.packages
      stats.files += result.files
    }
    /** Every package of these jobs is in place now (the caller may start what waits on them). */
    const placed = (keys: Iterable<string>) => {
      for (const key of keys) {
        for (const pkg of groups.get(key)!.packages) {
          installOptions.onPlaced?.(pkg)
          scripts?.placed(pkg.path)
        }
      }
    }
    /** After an unpack task: its targets are in place. */
    const unpacked = (key: string) => (result: WorkerResult) => {
      count(result)
      placed([key])
    }
    /** After a clone task: entries found missing, damaged or another package's are fetched, once. */
    const cloned = (items: CloneItem[], result: WorkerResult, alreadyDownloaded = false) => {
      count(result)
      const missing = new Set(result.missing)
      placed(items.map((item) => item.key).filter((key) => !missing.has(key)))
      return Promise.all(
        result.missing.map((key) => {
          const group = groups.get(key)!
          if (!alreadyDownloaded) stats.downloaded++
          return fetchAndUnpack(group.request, group.targets, 1).then(unpacked(key), tolerate(group))
        }),
      )
    }
    scripts?.begin(packages.map((pkg) => pkg.path))
    const work: Promise<unknown>[] = []
    /** Cache hits, and (prefetched: already counted as downloaded) entries prefetched before install(). */
    const batches = { cached: [] as CloneItem[], prefetched: [] as CloneItem[] }
    const flushClones = (which: keyof typeof batches) => {
      const items = batches[which]
      if (items.length === 0) return
      const task: CloneTask = { kind: 'clone', stages, items }
      batches[which] = []
      work.push(runInWorker(task).then((result) => cloned(task.items, result, which === 'prefetched')))
    }
    let left = groups.size
    const addToBatch = (which: keyof typeof batches, item: CloneItem) => {
      batches[which].push(item)
      // About four tasks per thread for what is left, within [LAST_CLONE_BATCH, CLONE_BATCH].
      const size = Math.ceil(left / (threadCount * 4))
      if (batches[which].length >= Math.max(LAST_CLONE_BATCH, Math.min(CLONE_BATCH, size))) flushClones(which)
    }
    for (const [key, group] of groups) {
      left--
      const { integrity, name, version } = group.request
      const item: CloneItem = { key, integrity, name, version, targets: group.targets }
      const fill = integrity ? fills.get(key) : undefined
      if (fill?.settled) {
        // Prefetched into the cache already: cloned with the others, in batches, from the entry
        // the unpack task sent back (not read and checked again: this run wrote it moments ago).
        stats.downloaded++
        if (fill.entry) item.entry = fill.entry
        fill.entry = undefined
        addToBatch('prefetched', item)
      } else if (fill) {
        // Prefetching: while its unpack task waits for a thread, it takes these folders too;
        // once handed over, the package is cloned from the cache when it is there. A prefetch
        // that failed is the package's failure.
        stats.downloaded++
        const attached = !fill.started
        if (attached) fill.targets.push(...group.targets)
        work.push(
          fill.done
            .then((result) => {
              if (attached && result) {
                // this install's share of what the task placed
                const perTarget = result.packages > 0 ? result.files / result.packages : 0
                stats.packages += group.targets.length
                stats.files += perTarget * group.targets.length
                placed([key])
                return
              }
              return runInWorker({ kind: 'clone', stages, items: [item] }).then((cloneResult) =>
                cloned([item], cloneResult, true),
              )
            })
            .catch(tolerate(group)),
        )
      } else if (integrity && cache.has(integrity)) {
        addToBatch('cached', item)
      } else {
        stats.downloaded++
        work.push(fetchAndUnpack(group.request, group.targets).then(unpacked(key), tolerate(group)))
      }
    }
    flushClones('cached')
    flushClones('prefetched')
    try {
      await settleAll(work)
    } catch (error) {
      controller.abort(error)
      throw error
    }
    scripts?.treePlaced()
    return stats
  }

  return {
    prefetch,
    install,
    scriptJobs: (stage, scriptOptions = {}) =>
      createScriptJobs(stage, scriptOptions, { emit, nextId: () => ++jobIds }),
    warmUp(expectedPackages) {
      if (inline || pool) return
      if (options.workers !== undefined || expectedPackages >= INLINE_BELOW) startPool()
      else holdPrefetches = true
    },
    async close() {
      controller.abort(new Error('scheduler closed'))
      await pool?.destroy()
    },
  }
}

/** Like Promise.all, but waits for every job to settle before rejecting with the first error, so no worker still writes into a folder the caller is about to clean up. */
async function settleAll(work: Promise<unknown>[]): Promise<void> {
  let firstError: unknown
  let failed = false
  await Promise.all(
    work.map((job) =>
      job.catch((error: unknown) => {
        if (!failed) {
          failed = true
          firstError = error
        }
      }),
    ),
  )
  if (failed) throw firstError
}

/** The bytes as a whole ArrayBuffer that can be moved to a worker without detaching a neighbour's memory. */
function ownedBuffer(data: Uint8Array): ArrayBuffer {
  if (
    data.buffer instanceof ArrayBuffer &&
    data.byteOffset === 0 &&
    data.byteLength === data.buffer.byteLength
  ) {
    return data.buffer
  }
  return new Uint8Array(data).buffer as ArrayBuffer
}

/** The stages as every task carries them: module URLs that a worker thread can import, options. */
function taskStages(stages: SchedulerStages): TaskStages {
  const named = (stage: StageModule) => ({ module: moduleUrl(stage.module), options: stage.options ?? {} })
  const resolved = {
    extractor: named(stages.extractor),
    contentCache: named(stages.contentCache),
    cloner: named(stages.cloner),
  }
  return { key: JSON.stringify(resolved), ...resolved }
}

/** A module path or URL as a URL string that a worker thread can import. */
function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href
  return /^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)
    ? module
    : pathToFileURL(module).href
}
