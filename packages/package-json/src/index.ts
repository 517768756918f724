export {
  addDependencies,
  applyDependencies,
  DEPENDENCY_FIELDS,
  dependencyMaps,
  inferSaveType,
  removeDependencies,
  SAVE_TYPE_FIELDS,
  savedSpec,
  setSavedSpec,
} from './_edit.js'
export {
  detectPackageJsonFormat,
  packageJsonText,
  parsePackageJson,
  readPackageJson,
  stringifyPackageJson,
  writePackageJsonText,
} from './_file.js'
export { parsePackageRequest, pickVersion, specAccepts } from './_request.js'
export type * from './types.js'
