// Runs in the scheduler's worker threads: the stages' synchronous functions, one task at a time.
// Keeping unpack and clone in one task means a package's file list never crosses threads twice.
import { rmSync } from 'node:fs'
import { threadId } from 'node:worker_threads'
import { type Cloner, createCloner } from '@tote/cloner'
import { type ContentCache, createContentCache } from '@tote/content-cache'
import { extractTarballSync } from '@tote/extractor'
import { isToteError, type StageWarning } from '@tote/types'
import type { CloneTask, SerializedError, UnpackTask, WorkerResult, WorkerTask } from './_task.js'
import type { CloneStrategy } from './types.js'

const caches = new Map<string, ContentCache>()
const cloners = new Map<string, Cloner>()

function cacheFor(dir: string): ContentCache {
  let cache = caches.get(dir)
  if (!cache) {
    cache = createContentCache({ dir })
    caches.set(dir, cache)
  }
  return cache
}

function clonerFor(cacheDir: string, strategy: CloneStrategy, warnings: StageWarning[]): Cloner {
  const key = `${cacheDir}\0${strategy}`
  let cloner = cloners.get(key)
  if (!cloner) {
    cloner = createCloner({
      strategy,
      workers: false,
      stateDir: cacheDir,
      onWarning: (warning) => warnings.push(warning),
    })
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

async function unpack(task: UnpackTask, result: WorkerResult): Promise<void> {
  const tarball = new Uint8Array(task.tarball)
  const cache = cacheFor(task.cacheDir)
  const entry = await cache.add(task.integrity, (dir) =>
    extractTarballSync(tarball, dir, {
      packageId: task.packageId,
      onWarning: (warning) => result.warnings.push(warning),
    }),
  )
  const cloner = clonerFor(task.cacheDir, task.strategy, result.warnings)
  for (const target of task.targets) {
    cloner.cloneSync(entry, target.destDir, { privateCopy: target.privateCopy })
    result.files += entry.files.length
    result.packages++
  }
}

async function clone(task: CloneTask, result: WorkerResult): Promise<void> {
  const cache = cacheFor(task.cacheDir)
  const cloner = clonerFor(task.cacheDir, task.strategy, result.warnings)
  for (const item of task.items) {
    const entry = cache.lookupSync(item.integrity)
    if (!entry) {
      result.missing.push(item.integrity)
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
      result.missing.push(item.integrity)
    }
  }
}

export default async function runTask(task: WorkerTask): Promise<WorkerResult> {
  const result: WorkerResult = {
    missing: [],
    files: 0,
    packages: 0,
    warnings: [],
    start: performance.timeOrigin + performance.now(),
    end: 0,
    thread: threadId,
  }
  try {
    if (task.kind === 'unpack') await unpack(task, result)
    else await clone(task, result)
  } catch (error) {
    result.error = serialize(error)
  }
  result.end = performance.timeOrigin + performance.now()
  return result
}
