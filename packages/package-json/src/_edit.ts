import semver from 'semver'
import type { DependencyField, DependencyMaps, EditWarning, SaveType } from './types.js'

// npm's edits of a project's dependency maps: @npmcli/arborist's add-rm-pkg-deps.js (what `npm
// install <spec>` and `npm uninstall <name>` ask for before resolving), reify.js's saved spec (after
// resolving), and @npmcli/package-json's update-dependencies.js (how the maps go back into the file).

const compare = new Intl.Collator('en').compare

/** Where each save type goes, in npm's order (saveTypeMap). */
export const SAVE_TYPE_FIELDS: Readonly<Record<SaveType, DependencyField>> = {
  dev: 'devDependencies',
  optional: 'optionalDependencies',
  prod: 'dependencies',
  peerOptional: 'peerDependencies',
  peer: 'peerDependencies',
}

/** The four maps in the order @npmcli/package-json writes them back (new ones are appended so). */
export const DEPENDENCY_FIELDS: readonly DependencyField[] = [
  'dependencies',
  'optionalDependencies',
  'devDependencies',
  'peerDependencies',
]

const has = (maps: DependencyMaps, field: DependencyField, name: string): boolean =>
  maps[field] !== undefined && Object.hasOwn(maps[field], name)

/** The dependency maps of a package.json's content, copied (the content is left as it is). */
export function dependencyMaps(content: Record<string, unknown>): DependencyMaps {
  const maps: DependencyMaps = {}
  for (const field of DEPENDENCY_FIELDS) {
    const map = content[field]
    if (map !== null && typeof map === 'object' && !Array.isArray(map)) {
      maps[field] = { ...(map as Record<string, string>) }
    }
  }
  const meta = content.peerDependenciesMeta
  if (meta !== null && typeof meta === 'object' && !Array.isArray(meta)) {
    maps.peerDependenciesMeta = structuredClone(meta as Record<string, { optional?: boolean }>)
  }
  if (Array.isArray(content.bundleDependencies)) maps.bundleDependencies = [...content.bundleDependencies]
  return maps
}

/** Where npm keeps a dependency the user names without a save flag: the first map that has it, else prod. */
export function inferSaveType(maps: DependencyMaps, name: string): SaveType {
  for (const type of Object.keys(SAVE_TYPE_FIELDS) as SaveType[]) {
    if (!has(maps, SAVE_TYPE_FIELDS[type], name)) continue
    if (type === 'peerOptional' && maps.peerDependenciesMeta?.[name]?.optional !== true) return 'peer'
    return type
  }
  return 'prod'
}

function deleteFrom(
  maps: DependencyMaps,
  field: DependencyField,
  name: string,
  replacedBy: DependencyField | undefined,
  warnings: EditWarning[],
): void {
  if (!has(maps, field, name)) return
  if (replacedBy) {
    warnings.push({
      code: 'EDEPMOVED',
      message: `Removing ${field}.${name} in favor of ${replacedBy}.${name}`,
    })
  }
  delete maps[field]![name]
  if (field === 'peerDependencies' && maps.peerDependenciesMeta) {
    delete maps.peerDependenciesMeta[name]
    if (Object.keys(maps.peerDependenciesMeta).length === 0) delete maps.peerDependenciesMeta
  }
  if (Object.keys(maps[field]!).length === 0) delete maps[field]
}

/**
 * npm's `add`: puts each requested spec in the map its save type names (inferred from where the name
 * is, without one), taking it out of the maps it may not share. A bare name (`*`) keeps a spec the
 * map already has. Changes `maps`; returns npm's warnings (a dependency moved between maps).
 */
export function addDependencies(
  maps: DependencyMaps,
  requests: readonly { name: string; spec: string }[],
  options: { saveType?: SaveType | undefined; saveBundle?: boolean } = {},
): EditWarning[] {
  const warnings: EditWarning[] = []
  for (const { name, spec } of requests) {
    const type = options.saveType ?? inferSaveType(maps, name)
    if (type === 'prod') {
      deleteFrom(maps, 'devDependencies', name, 'dependencies', warnings)
      deleteFrom(maps, 'peerDependencies', name, 'dependencies', warnings)
    } else if (type === 'dev') {
      deleteFrom(maps, 'dependencies', name, 'devDependencies', warnings)
    } else if (type === 'optional') {
      deleteFrom(maps, 'peerDependencies', name, 'optionalDependencies', warnings)
    } else {
      deleteFrom(maps, 'dependencies', name, 'peerDependencies', warnings)
      deleteFrom(maps, 'optionalDependencies', name, 'peerDependencies', warnings)
    }
    const field = SAVE_TYPE_FIELDS[type]
    maps[field] ??= {}
    const map = maps[field]
    if (spec !== '*' || map[name] === undefined) map[name] = spec
    // npm's affordance for old npm versions: an optional dependency is listed in dependencies too
    // (package.json gets it in optionalDependencies only, see applyDependencies)
    if (type === 'optional') maps.dependencies = { ...maps.dependencies, [name]: map[name]! }
    if (type === 'peer' || type === 'peerOptional') {
      const meta = maps.peerDependenciesMeta ?? {}
      if (type === 'peer' && meta[name]?.optional) meta[name].optional = false
      else if (type === 'peerOptional') {
        meta[name] = { ...meta[name], optional: true }
        maps.peerDependenciesMeta = meta
      }
      if (maps.devDependencies?.[name] !== undefined) maps.devDependencies[name] = map[name]!
    }
    if (options.saveBundle && type !== 'peer' && type !== 'peerOptional') {
      maps.bundleDependencies = [...new Set([...(maps.bundleDependencies ?? []), name])].sort(compare)
    }
  }
  return warnings
}

/** npm's `rm`: takes each name out of every map (and bundleDependencies). Changes `maps`. */
export function removeDependencies(maps: DependencyMaps, names: readonly string[]): void {
  for (const field of new Set(Object.values(SAVE_TYPE_FIELDS))) {
    for (const name of names) deleteFrom(maps, field, name, undefined, [])
  }
  if (maps.bundleDependencies) {
    maps.bundleDependencies = maps.bundleDependencies.filter((name) => !names.includes(name))
    if (maps.bundleDependencies.length === 0) delete maps.bundleDependencies
  }
}

/** A spec as npm's saving reads it: the part after `npm:<name>@` for an alias, and its kind. */
function specKind(spec: string): { text: string; isRange: boolean } {
  let text = spec.trim()
  if (text.startsWith('npm:')) {
    const rest = text.slice(4)
    const at = rest.indexOf('@', rest.startsWith('@') ? 1 : 0)
    text = at === -1 ? '*' : rest.slice(at + 1).trim()
  }
  if (text === '') text = '*'
  // npm-package-arg: a version is a version, a valid range is a range, anything else a tag
  if (semver.valid(text, true)) return { text, isRange: false }
  return { text, isRange: semver.validRange(text, true) !== null }
}

/**
 * The spec npm saves for a dependency of the project once it is installed (reify.js): the save prefix
 * and the installed version (`^1.2.3`, or `1.2.3` with save-exact), except for a range the user gave
 * that `^1.2.3` would widen (`~1.2.0`, `1.x <1.2.5`), which is kept. An alias keeps its `npm:<name>@`.
 */
export function savedSpec(options: {
  /** The name in package.json (the alias, for an alias). */
  name: string
  /** The spec the project asked for when it was resolved (`*` for a bare name). */
  spec: string
  /** The installed package's own name and version. */
  packageName: string
  version: string
  /** npm's save-prefix (`^` by default; `''` with save-exact). */
  savePrefix: string
}): string {
  const { text, isRange } = specKind(options.spec)
  const prefixRange = options.version ? `${options.savePrefix}${options.version}` : '*'
  let range = text
  if (!isRange || text === '*' || semver.subset(prefixRange, text, { loose: true })) range = prefixRange
  return options.name !== options.packageName ? `npm:${options.packageName}@${range}` : range
}

/**
 * Puts a dependency's saved spec where npm's reify puts it: in the save type's map when the user gave
 * one (a prod dependency leaves optionalDependencies), otherwise in each map that has the name (peer
 * and optional ranges only when the new spec no longer meets them, beside a dev one). Changes `maps`.
 */
export function setSavedSpec(
  maps: DependencyMaps,
  name: string,
  spec: string,
  saveType: SaveType | undefined,
): void {
  if (saveType) {
    const field = SAVE_TYPE_FIELDS[saveType]
    maps[field] = { ...maps[field], [name]: spec }
    if (saveType === 'prod' && maps.optionalDependencies) delete maps.optionalDependencies[name]
    return
  }
  const meets = (other: string) => {
    try {
      return semver.intersects(spec, other, { loose: true })
    } catch {
      return false
    }
  }
  if (has(maps, 'dependencies', name)) maps.dependencies![name] = spec
  if (has(maps, 'devDependencies', name)) {
    maps.devDependencies![name] = spec
    if (has(maps, 'peerDependencies', name) && !meets(maps.peerDependencies![name]!))
      maps.peerDependencies![name] = spec
    if (has(maps, 'optionalDependencies', name) && !meets(maps.optionalDependencies![name]!))
      maps.optionalDependencies![name] = spec
  } else {
    if (has(maps, 'peerDependencies', name)) maps.peerDependencies![name] = spec
    if (has(maps, 'optionalDependencies', name)) maps.optionalDependencies![name] = spec
  }
}

/**
 * The package.json content npm saves with these maps (update-dependencies.js): every map sorted by
 * name, a name of optionalDependencies dropped from dependencies, empty maps removed, maps the file
 * did not have appended after its other keys; every other key stays where it was.
 */
export function applyDependencies(
  original: Record<string, unknown>,
  maps: DependencyMaps,
): Record<string, unknown> {
  const sorted: Partial<Record<DependencyField, Record<string, string>>> = {}
  for (const field of DEPENDENCY_FIELDS) {
    const map = maps[field] ?? {}
    sorted[field] = Object.fromEntries(
      Object.keys(map)
        .sort(compare)
        .map((key) => [key, map[key]!]),
    )
  }
  if (sorted.optionalDependencies) {
    for (const name of Object.keys(sorted.optionalDependencies)) delete sorted.dependencies![name]
  }
  const result: Record<string, unknown> = { ...original }
  for (const field of DEPENDENCY_FIELDS) {
    result[field] = sorted[field]
    if (Object.keys(sorted[field]!).length === 0) delete result[field]
  }
  // a name in both peerDependencies and dependencies of the file keeps its place in dependencies
  const origProd = original.dependencies as Record<string, string> | undefined
  const origPeer = original.peerDependencies as Record<string, string> | undefined
  const newPeer = result.peerDependencies as Record<string, string> | undefined
  if (origProd && origPeer && newPeer) {
    for (const name of Object.keys(origPeer)) {
      if (origProd[name] !== undefined && newPeer[name] !== undefined) {
        result.dependencies ??= {}
        ;(result.dependencies as Record<string, string>)[name] = newPeer[name]
      }
    }
  }
  if (maps.bundleDependencies !== undefined || original.bundleDependencies !== undefined) {
    result.bundleDependencies = maps.bundleDependencies
  }
  return result
}
