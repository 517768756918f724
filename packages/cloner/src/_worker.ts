// The worker-thread side of cloneMany, loaded by tinypool from `_worker.js` next to `_pool.js`.
// Keep it free of anything that needs the main thread (callbacks, injected fs).
import type { StageWarning } from '@tote/types'
import { createCloneEngine, defaultCloneFs } from './_engine.js'
import type { WorkerResult, WorkerTask } from './_jobs.js'
import { decodeJob, runJobs, serializeError } from './_jobs.js'

/** Clones one chunk of jobs; failures and warnings travel back as data (errors lose fields in transit). */
export default function cloneChunk(task: WorkerTask): WorkerResult {
  const warnings: StageWarning[] = []
  const engine = createCloneEngine({
    strategy: task.strategy,
    fs: defaultCloneFs,
    state: task.state,
    onWarning: (warning) => warnings.push(warning),
  })
  const failures: Error[] = []
  runJobs(engine, task.jobs.map(decodeJob), failures)
  return { state: { ...engine.state }, warnings, failures: failures.map(serializeError) }
}
