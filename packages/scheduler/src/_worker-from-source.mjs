// Used only when the scheduler runs from its TypeScript sources (tests through vitest): a worker
// thread is plain Node.js, so this shim registers tsx before loading the TypeScript worker. The built
// package loads dist/_worker.js directly and never reaches this file.
import { register } from 'tsx/esm/api'

register()
const { default: runTask } = await import('./_worker.ts')

export default runTask
