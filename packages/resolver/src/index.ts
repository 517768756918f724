export { gitSavedSpec, gitSourceOf, parseGitSpec } from './_git.js'
export { createResolver } from './_resolver.js'
export type * from './types.js'
