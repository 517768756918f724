export { isToteError, ToteError } from './_error.js'
export type * from './types.js'
