import type { DependencyMap, Lockfile, LockfilePackage, ProjectManifest } from '@tote/types'
import semver from 'semver'
import { DEPENDENCY_FIELDS, type DependencyField } from './_fields.js'
import type { LockfileSyncResult } from './types.js'

// Specs that do not name a registry version (folders, tarballs, git): only their presence is checked.
const NON_REGISTRY_SPEC =
  /^(?:file:|link:|workspace:|git\+|git:|github:|gitlab:|bitbucket:|gist:|https?:|[.~/])/

interface Wanted {
  /** The registry package the spec asks for (differs from the key for an `npm:` alias). */
  name: string
  range: string
  isAlias: boolean
}

/** What a dependency spec asks for from the registry, or undefined for a non-registry spec. */
function parseRegistrySpec(key: string, spec: string): Wanted | undefined {
  if (spec.startsWith('npm:')) {
    const target = spec.slice(4)
    const at = target.indexOf('@', 1)
    const name = at === -1 ? target : target.slice(0, at)
    return { name, range: at === -1 ? '*' : target.slice(at + 1), isAlias: true }
  }
  if (NON_REGISTRY_SPEC.test(spec) || /^[^@][^/]*\/[^/]+/.test(spec)) return undefined
  return { name: key, range: spec, isAlias: false }
}

/** package.json's dependency maps as npm records them in the root entry: optional wins over prod. */
function manifestMaps(manifest: ProjectManifest): Record<DependencyField, DependencyMap> {
  const optional = manifest.optionalDependencies ?? {}
  const dependencies = Object.fromEntries(
    Object.entries(manifest.dependencies ?? {}).filter(([name]) => !Object.hasOwn(optional, name)),
  )
  return {
    dependencies,
    devDependencies: manifest.devDependencies ?? {},
    optionalDependencies: optional,
    peerDependencies: manifest.peerDependencies ?? {},
  }
}

/** Differences between the root entry and package.json, by dependency name (one each). */
function compareRootEntry(
  root: LockfilePackage,
  wanted: Record<DependencyField, DependencyMap>,
): Map<string, string> {
  const reasons = new Map<string, string>()
  const add = (name: string, reason: string) => {
    if (!reasons.has(name)) reasons.set(name, reason)
  }
  for (const type of DEPENDENCY_FIELDS) {
    const inManifest = wanted[type]
    const inLock = root[type] ?? {}
    for (const [name, spec] of Object.entries(inManifest)) {
      const locked = inLock[name]
      if (locked === undefined)
        add(name, `package.json has ${name} ${spec} in ${type} but the lockfile does not`)
      else if (locked !== spec) {
        add(name, `package.json wants ${name} ${spec} in ${type} but the lockfile was made for ${locked}`)
      }
    }
    for (const [name, spec] of Object.entries(inLock)) {
      if (!Object.hasOwn(inManifest, name)) {
        add(name, `the lockfile has ${name} ${spec} in ${type} but package.json does not`)
      }
    }
  }
  return reasons
}

function checkInstalled(name: string, spec: string, entry: LockfilePackage): string | undefined {
  const path = `node_modules/${name}`
  const wanted = parseRegistrySpec(name, spec)
  if (wanted === undefined) return undefined
  if (entry.link === true) {
    return `package.json wants ${name} ${spec} but the lockfile links ${path} to ${entry.resolved ?? 'a folder'}`
  }
  const lockedName = entry.name ?? name
  if (lockedName !== wanted.name) {
    const what = wanted.isAlias ? `as an alias of ${wanted.name}` : spec
    return `package.json wants ${name} ${what} but the lockfile's ${path} is ${lockedName}`
  }
  if (entry.version === undefined)
    return `package.json wants ${name} ${spec} but the lockfile's ${path} has no version`
  // A dist-tag ("latest", "next") names no range to check against.
  if (semver.validRange(wanted.range, { loose: true }) === null) return undefined
  if (!semver.satisfies(entry.version, wanted.range, { loose: true })) {
    return `package.json wants ${name} ${spec} but the lockfile has ${entry.version}`
  }
  return undefined
}

/**
 * Whether an install can use the lockfile as it is, as `npm ci` requires: the root entry (`""`)
 * records the same dependencies, devDependencies, optionalDependencies and peerDependencies as
 * package.json, and every direct dependency has an entry at `node_modules/<name>` whose version
 * satisfies its range (for `npm:` aliases, the aliased name and range). Optional dependencies
 * and optional peers may be missing (npm leaves out those it could not fetch).
 */
export function isLockfileInSync(lockfile: Lockfile, manifest: ProjectManifest): LockfileSyncResult {
  const root = lockfile.packages['']
  if (root === undefined) {
    return { inSync: false, reasons: ['the lockfile has no root entry (packages[""])'] }
  }
  const wanted = manifestMaps(manifest)
  const byName = compareRootEntry(root, wanted)
  const reasons = [...byName.values()]
  const optionalPeers = manifest.peerDependenciesMeta ?? {}
  for (const type of DEPENDENCY_FIELDS) {
    for (const [name, spec] of Object.entries(wanted[type])) {
      // One difference, one line: a range changed in package.json is not also a version mismatch.
      if (byName.has(name)) continue
      const entry = lockfile.packages[`node_modules/${name}`]
      if (entry === undefined) {
        const mayBeMissing =
          type === 'optionalDependencies' ||
          (type === 'peerDependencies' && optionalPeers[name]?.optional === true)
        if (!mayBeMissing)
          reasons.push(`package.json wants ${name} ${spec} but the lockfile has no node_modules/${name}`)
        continue
      }
      const reason = checkInstalled(name, spec, entry)
      if (reason !== undefined) reasons.push(reason)
    }
  }
  const unique = [...new Set(reasons)]
  return { inSync: unique.length === 0, reasons: unique }
}
