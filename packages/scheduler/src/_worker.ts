// Runs in the scheduler's worker threads (and, for small installs, on the calling thread): one task
// at a time, through the stages the task names. Keeping unpack and clone in one task means a
// package's file list never crosses threads twice. After the stages are loaded every call is
// synchronous, and each gets this task's warning sink: a warning lands in the task that raised it.
import { rmSync } from 'node:fs'
import { threadId } from 'node:worker_threads'
import { isToteError, type StageWarning, toPlainError } from '@tote/types'
import { type ImportModule, importModule, type LoadedStages, loadStages } from './_stages.js'
import type { CloneItem, CloneTask, UnpackTask, WorkerResult, WorkerTask } from './_task.js'

type Warn = (warning: StageWarning) => void

function unpack(task: UnpackTask, stages: LoadedStages, result: WorkerResult, onWarning: Warn): void {
  const tarball = new Uint8Array(task.tarball)
  const packageId = `${task.name}@${task.version}`
  const identity = { name: task.name, version: task.version }
  const entry = stages.contentCache.addSync(task.integrity, identity, (dir) =>
    // Hashed while written, for `tote cache verify`: reading the files back would cost more.
    stages.extractor.extractSync(tarball, dir, { packageId, hashFiles: true, onWarning }),
  )
  for (const target of task.targets) {
    stages.cloner.cloneSync(entry, target.destDir, { privateCopy: target.privateCopy, onWarning })
    result.files += entry.files.length
    result.packages++
  }
  if (task.returnEntry) result.entry = { integrity: entry.integrity, dir: entry.dir, files: entry.files }
}

/** The entry to clone `item` from, or undefined (then reported missing) after saying why. */
function usableEntry(stages: LoadedStages, item: CloneItem, onWarning: Warn) {
  const packageId = `${item.name}@${item.version}`
  const found = stages.contentCache.lookupSync(item.integrity, { name: item.name, version: item.version })
  if (found.status === 'found') return found.entry
  if (found.status === 'damaged') {
    onWarning({
      code: 'ECACHEDAMAGED',
      message: `The cached copy of ${packageId} is damaged (${found.reason}); fetching it again.`,
      package: packageId,
    })
    stages.contentCache.removeSync(item.integrity)
  } else if (found.status === 'other-package') {
    // The lockfile gives this package the integrity of another one: never link that one's files.
    onWarning({
      code: 'ECACHEOTHERPACKAGE',
      message: `The cache holds ${found.holds.name}@${found.holds.version} under the integrity the lockfile gives ${packageId}; fetching ${packageId} itself.`,
      package: packageId,
    })
  }
  return undefined
}

function clone(task: CloneTask, stages: LoadedStages, result: WorkerResult, onWarning: Warn): void {
  for (const item of task.items) {
    const entry = item.entry ?? usableEntry(stages, item, onWarning)
    if (!entry) {
      result.missing.push(item.key)
      continue
    }
    try {
      for (const target of item.targets) {
        stages.cloner.cloneSync(entry, target.destDir, { privateCopy: target.privateCopy, onWarning })
        result.files += entry.files.length
        result.packages++
      }
    } catch (error) {
      if (!isToteError(error) || error.code !== 'ECACHEDAMAGED') throw error
      // Partly cloned folders would make the retry's clone fail: start those targets afresh.
      for (const target of item.targets) rmSync(target.destDir, { recursive: true, force: true })
      stages.contentCache.removeSync(item.integrity)
      result.missing.push(item.key)
    }
  }
}

export default async function runTask(
  task: WorkerTask,
  load: ImportModule = importModule,
): Promise<WorkerResult> {
  const result: WorkerResult = {
    missing: [],
    files: 0,
    packages: 0,
    warnings: [],
    start: performance.timeOrigin + performance.now(),
    end: 0,
    thread: threadId,
  }
  const onWarning: Warn = (warning) => result.warnings.push(warning)
  try {
    const stages = await loadStages(task.stages, load, task.kind)
    if (task.kind === 'unpack') unpack(task, stages, result, onWarning)
    else clone(task, stages, result, onWarning)
  } catch (error) {
    result.error = toPlainError(error)
  }
  result.end = performance.timeOrigin + performance.now()
  return result
}
