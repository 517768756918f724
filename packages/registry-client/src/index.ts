export { createRegistryClient, escapePackageName } from './_client.js'
export { removeOwnTempFilesSync, removeStaleTempFiles } from './metadata-cache/_temp-files.js'
export { normaliseBin, reducePackument } from './packument/_reduce.js'
export type * from './types.js'
