export { createTestRegistry } from './_registry.js'
export { createTarball } from './_tar.js'
export type * from './types.js'
