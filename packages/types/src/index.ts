export { isToteError, ToteError } from './_error.js'
export { strongestHash } from './_integrity.js'
export type * from './types.js'
