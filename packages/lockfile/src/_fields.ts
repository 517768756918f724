/** The dependency maps of package.json and of a lockfile entry, in npm's order. */
export const DEPENDENCY_FIELDS = [
  'dependencies',
  'devDependencies',
  'optionalDependencies',
  'peerDependencies',
] as const

export type DependencyField = (typeof DEPENDENCY_FIELDS)[number]
