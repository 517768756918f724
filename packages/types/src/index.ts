export { SYSTEM_FAULT_CODES, TOTE_ERROR_CODES } from './_codes.js'
export {
  type CheckedToteErrorCode,
  fromPlainError,
  isToteError,
  type PlainError,
  ToteError,
  type ToteErrorConstructor,
  toPlainError,
} from './_error.js'
export { isInstallPathInside, lockfileKeyProblem, packageNameProblem } from './_install-path.js'
export { strongestHash } from './_integrity.js'
export { redactUrl, redactUrlsIn } from './_redact.js'
export {
  isProcessAlive,
  isStaleTempFile,
  removeStaleTempFilesIn,
  removeTempFilesOfSync,
  tempFileOwnerFrom,
} from './_temp-files.js'
export { versionsOf } from './_versions.js'
export type * from './types.js'
