export { extractTarballSync } from './_extract.js'
export { createExtractor, extractorWorkerFile } from './_pool.js'
export type * from './types.js'
