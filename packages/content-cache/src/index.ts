export { builtResultKey } from './_built.js'
export { createContentCache } from './_cache.js'
export type * from './types.js'
