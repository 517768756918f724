import type { DependencyField, SaveType } from '@tote/package-json'
import type { Lockfile, LockfilePackage } from '@tote/types'

/** Where package.json lists dependencies, in the order tote reports them. */
export const FIELDS: readonly DependencyField[] = [
  'dependencies',
  'devDependencies',
  'optionalDependencies',
  'peerDependencies',
]

/** npm's saveType from its save flags (any npmrc too), flattened in npm's order; undefined: none given. */
export function saveTypeOf(config: { get(key: string): unknown }): SaveType | undefined {
  let type: SaveType | undefined
  if (config.get('save-dev') === true) type = 'dev'
  if (config.get('save-optional') === true)
    type = type === 'peer' || type === 'peerOptional' ? 'peerOptional' : 'optional'
  if (config.get('save-peer') === true)
    type = type === 'optional' || type === 'peerOptional' ? 'peerOptional' : 'peer'
  if (config.get('save-prod') === true) type = 'prod'
  return type
}

/** The map of package.json a name is saved in (optionalDependencies before dependencies, as npm lists it). */
export function fieldOf(content: Record<string, unknown>, name: string): DependencyField | undefined {
  const order: DependencyField[] = [
    'optionalDependencies',
    'dependencies',
    'devDependencies',
    'peerDependencies',
  ]
  return order.find((field) => {
    const map = content[field] as Record<string, string> | undefined
    return map !== undefined && Object.hasOwn(map, name)
  })
}

/** The project's own copy of a dependency: the package at `node_modules/<name>`. */
export function topEntry(lockfile: Lockfile, name: string): LockfilePackage | undefined {
  return lockfile.packages[`node_modules/${name}`]
}

/** `a@1.0.0`, or `x (a@1.0.0)` for an alias. */
export function label(name: string, entry: LockfilePackage): string {
  const real = entry.name ?? name
  return real === name ? `${name}@${entry.version}` : `${name} (${real}@${entry.version})`
}

/**
 * The package a dependency of the project installed: `node_modules/<name>`'s entry, or for a link
 * (a `file:` folder) its target's entry.
 */
export function installedEntry(lockfile: Lockfile, name: string): LockfilePackage | undefined {
  const entry = topEntry(lockfile, name)
  if (!entry?.link || typeof entry.resolved !== 'string') return entry
  return lockfile.packages[entry.resolved] ?? entry
}
