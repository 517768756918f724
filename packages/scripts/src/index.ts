export { buildPackages, howItEnded } from './_build.js'
export {
  approvePackage,
  denyPackage,
  displayIdentity,
  matchesPositional,
  nameKeyFor,
  parsePositional,
  pruneEntries,
  versionedKeyFor,
} from './_edit.js'
export { packageEnv, scriptBaseEnv, scriptEnv } from './_env.js'
export { buildOrder, lockfileGraph } from './_graph.js'
export {
  DEPENDENCY_EVENTS,
  dependencyRunList,
  describeScripts,
  installScriptsOf,
  PROJECT_EVENTS,
  readManifest,
} from './_install-scripts.js'
export { findNodeGyp, NODE_GYP_SHIM, writeNodeGypShim } from './_node-gyp.js'
export {
  formatPackageJson,
  jsonLayout,
  readAllowScripts,
  withAllowScripts,
  writeFileAtomic,
} from './_package-json.js'
export {
  identityFromTarballUrl,
  isScriptAllowed,
  keyMatches,
  parseAllowScriptsList,
  resolvePolicy,
  trustedIdentity,
  verdictFor,
} from './_policy.js'
export { createScriptRunner, NODE_GYP_REBUILD, quoteSh, scriptFor } from './_run.js'
export type * from './types.js'
