export { isToteError, ToteError } from './_error.js'
export { strongestHash } from './_integrity.js'
export { VERSION_KEYS, versionKeysOf } from './_versions.js'
export type * from './types.js'
