export { createContentCache } from './_cache.js'
export type * from './types.js'
