// Used only when the extractor runs from its TypeScript sources (tests through vitest, the bench):
// a worker thread is plain Node.js, so this shim registers tsx (a devDependency) before loading the
// TypeScript worker. The built package loads dist/worker.js directly and never reaches this file.
import { register } from 'tsx/esm/api'

register()
const { default: extractTask } = await import('./worker.ts')

export default extractTask
