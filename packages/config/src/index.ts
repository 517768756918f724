export { loadConfig } from './_load.js'
export type * from './types.js'
