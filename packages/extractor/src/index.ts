export { extractTarballSync } from './_extract.js'
export { createExtractor } from './_extractor.js'
export type * from './types.js'
