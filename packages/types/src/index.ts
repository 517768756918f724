export { fromPlainError, isToteError, type PlainError, ToteError, toPlainError } from './_error.js'
export { isInstallPathInside, lockfileKeyProblem, packageNameProblem } from './_install-path.js'
export { strongestHash } from './_integrity.js'
export {
  isProcessAlive,
  isStaleTempFile,
  removeStaleTempFilesIn,
  removeTempFilesOfSync,
  tempFileOwnerFrom,
} from './_temp-files.js'
export { VERSION_KEYS, versionKeysOf } from './_versions.js'
export type * from './types.js'
