export { removeOwnTempFilesSync, removeStaleTempFiles } from './_cache.js'
export { createRegistryClient, escapePackageName } from './_client.js'
export { normaliseBin, reducePackument } from './_reduce.js'
export type * from './types.js'
