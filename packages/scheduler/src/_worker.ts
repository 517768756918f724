// Runs in the scheduler's worker threads: the stages' synchronous functions, one task at a time.
// Keeping unpack and clone in one task means a package's file list never crosses threads twice.
import { rmSync } from 'node:fs'
import { threadId } from 'node:worker_threads'
import { type Cloner, createCloner } from '@tote/cloner'
import { type ContentCache, createContentCache } from '@tote/content-cache'
import { extractTarballSync } from '@tote/extractor'
import { isToteError, type StageWarning } from '@tote/types'
import type { CloneItem, CloneTask, SerializedError, UnpackTask, WorkerResult, WorkerTask } from './_task.js'

const caches = new Map<string, ContentCache>()
const cloners = new Map<string, Promise<Cloner>>()
/** The task being run: stages report warnings into its result. */
let current: WorkerResult | undefined

function cacheFor(dir: string): ContentCache {
  let cache = caches.get(dir)
  if (!cache) {
    cache = createContentCache({ dir })
    caches.set(dir, cache)
  }
  return cache
}

/** Loads a module by URL or path; `import()` unless the host gives another way (SchedulerOptions.importModule). */
export type ImportModule = (specifier: string) => Promise<unknown>

const importModule: ImportModule = (specifier) => import(specifier)

/** The cloner for a task: tote's own, or the module a contributor named (`--cloner`), created once. */
function clonerFor(task: UnpackTask | CloneTask, load: ImportModule): Promise<Cloner> {
  const key = `${task.cacheDir}\0${task.strategy}\0${task.clonerModule ?? ''}`
  let cloner = cloners.get(key)
  if (!cloner) {
    const factory: Promise<typeof createCloner> = task.clonerModule
      ? load(task.clonerModule).then((loaded) => {
          const module = loaded as { createCloner?: typeof createCloner }
          if (typeof module.createCloner !== 'function') {
            throw new Error(`${task.clonerModule} does not export createCloner(options)`)
          }
          return module.createCloner
        })
      : Promise.resolve(createCloner)
    cloner = factory.then((create) =>
      create({
        strategy: task.strategy,
        stateDir: task.cacheDir,
        onWarning: (warning: StageWarning) => current?.warnings.push(warning),
      }),
    )
    cloners.set(key, cloner)
  }
  return cloner
}

function serialize(error: unknown): SerializedError {
  if (isToteError(error)) {
    return {
      code: error.code,
      message: error.message,
      ...(error.hint ? { hint: error.hint } : {}),
      details: error.details,
    }
  }
  const plain = error as NodeJS.ErrnoException
  return {
    ...(plain.code ? { code: plain.code } : {}),
    message: String(plain?.message ?? error),
    ...(plain?.stack ? { stack: plain.stack } : {}),
  }
}

async function unpack(task: UnpackTask, result: WorkerResult, load: ImportModule): Promise<void> {
  const tarball = new Uint8Array(task.tarball)
  const cache = cacheFor(task.cacheDir)
  const packageId = `${task.name}@${task.version}`
  const entry = await cache.add(task.integrity, { name: task.name, version: task.version }, (dir) =>
    extractTarballSync(tarball, dir, {
      packageId,
      // Hashed while written, for `tote cache verify`: reading the files back would cost more.
      hashFiles: true,
      onWarning: (warning) => result.warnings.push(warning),
    }),
  )
  const cloner = await clonerFor(task, load)
  for (const target of task.targets) {
    cloner.cloneSync(entry, target.destDir, { privateCopy: target.privateCopy })
    result.files += entry.files.length
    result.packages++
  }
}

/** The entry to clone `item` from, or undefined (then reported missing) after saying why. */
async function usableEntry(cache: ContentCache, item: CloneItem, result: WorkerResult) {
  const packageId = `${item.name}@${item.version}`
  const found = cache.lookupSync(item.integrity, { name: item.name, version: item.version })
  if (found.status === 'found') return found.entry
  if (found.status === 'damaged') {
    result.warnings.push({
      code: 'ECACHEDAMAGED',
      message: `The cached copy of ${packageId} is damaged (${found.reason}); fetching it again.`,
      package: packageId,
    })
    await cache.remove(item.integrity)
  } else if (found.status === 'other-package') {
    // The lockfile gives this package the integrity of another one: never link that one's files.
    result.warnings.push({
      code: 'ECACHEOTHERPACKAGE',
      message: `The cache holds ${found.holds.name}@${found.holds.version} under the integrity the lockfile gives ${packageId}; fetching ${packageId} itself.`,
      package: packageId,
    })
  }
  return undefined
}

async function clone(task: CloneTask, result: WorkerResult, load: ImportModule): Promise<void> {
  const cache = cacheFor(task.cacheDir)
  const cloner = await clonerFor(task, load)
  for (const item of task.items) {
    const entry = await usableEntry(cache, item, result)
    if (!entry) {
      result.missing.push(item.key)
      continue
    }
    try {
      for (const target of item.targets) {
        cloner.cloneSync(entry, target.destDir, { privateCopy: target.privateCopy })
        result.files += entry.files.length
        result.packages++
      }
    } catch (error) {
      if (!isToteError(error) || error.code !== 'ECACHEDAMAGED') throw error
      // Partly cloned folders would make the retry's clone fail: start those targets afresh.
      for (const target of item.targets) rmSync(target.destDir, { recursive: true, force: true })
      await cache.remove(item.integrity)
      result.missing.push(item.key)
    }
  }
}

export default async function runTask(task: WorkerTask, load = importModule): Promise<WorkerResult> {
  const result: WorkerResult = {
    missing: [],
    files: 0,
    packages: 0,
    warnings: [],
    start: performance.timeOrigin + performance.now(),
    end: 0,
    thread: threadId,
  }
  current = result
  try {
    if (task.kind === 'unpack') await unpack(task, result, load)
    else await clone(task, result, load)
  } catch (error) {
    result.error = serialize(error)
  }
  result.end = performance.timeOrigin + performance.now()
  return result
}
