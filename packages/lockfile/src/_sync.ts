import { posix } from 'node:path'
import type { DependencyMap, Lockfile, LockfilePackage, ProjectManifest } from '@tote/types'
import semver from 'semver'
import { DEPENDENCY_FIELDS, type DependencyField } from './_fields.js'
import { globMatch, workspacePatterns } from './_workspaces.js'
import type { LockfileSyncOptions, LockfileSyncResult, WorkspaceManifestFile } from './types.js'

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

/**
 * Differences between a folder's entry (the root's, a workspace's) and its package.json, by
 * dependency name (one each). `file`: how messages name the package.json (`package.json`,
 * `packages/a/package.json`); `where`: how they name the entry (`the lockfile`, `the lockfile's packages/a`).
 */
function compareFolderEntry(
  entry: LockfilePackage,
  wanted: Record<DependencyField, DependencyMap>,
  file = 'package.json',
  where = 'the lockfile',
): Map<string, string> {
  const reasons = new Map<string, string>()
  const add = (name: string, reason: string) => {
    if (!reasons.has(name)) reasons.set(name, reason)
  }
  for (const type of DEPENDENCY_FIELDS) {
    const inManifest = wanted[type]
    const inLock = entry[type] ?? {}
    for (const [name, spec] of Object.entries(inManifest)) {
      const locked = inLock[name]
      if (locked === undefined) add(name, `${file} has ${name} ${spec} in ${type} but ${where} does not`)
      else if (locked !== spec) {
        add(name, `${file} wants ${name} ${spec} in ${type} but ${where} was made for ${locked}`)
      }
    }
    for (const [name, spec] of Object.entries(inLock)) {
      if (!Object.hasOwn(inManifest, name)) {
        add(name, `${where} has ${name} ${spec} in ${type} but ${file} does not`)
      }
    }
  }
  return reasons
}

/** A `file:`/`link:` folder spec's folder, relative to the project, seen from the folder `from`. */
function folderSpecPath(spec: string, from: string): string | undefined {
  const match = /^(?:file:|link:)?(\.{0,2}\/.*|[^/:@][^:]*)$/.exec(spec)
  if (!match || !/^(?:file:|link:|\.{1,2}\/)/.test(spec)) return undefined
  const path = match[1]!
  if (/\.(?:tgz|tar\.gz|tar)$/i.test(path) || path.startsWith('/')) return undefined
  const joined = posix.normalize(posix.join(from, path)).replace(/\/+$/, '')
  return joined === '.' ? '' : joined
}

/** How folder specs install: npm's install-links, and the workspaces' folders (linked whatever it says). */
interface FolderRules {
  installLinks: boolean
  /** The workspaces' names and folders. */
  workspaces: ReadonlySet<string>
  workspacePaths: ReadonlySet<string>
}

function checkInstalled(
  rules: FolderRules,
  name: string,
  spec: string,
  entry: LockfilePackage,
  path = `node_modules/${name}`,
  from = '',
  file = 'package.json',
): string | undefined {
  if (spec.startsWith('workspace:')) {
    return entry.link === true
      ? undefined
      : `${file} wants ${name} ${spec} but the lockfile's ${path} is not a link`
  }
  const folder = folderSpecPath(spec, from)
  if (folder !== undefined) {
    // install-links: a `file:` folder is a copy, `resolved: "file:<folder>"` (npm's linkValid takes
    // a copy wherever one serves), but for what npm links all the same: a workspace (by name or
    // folder), `link:`, `file:./…` or `file:../…` inside the project
    if (rules.installLinks) {
      const wanted = `${file} wants ${name} ${spec} (with install-links, a copy of ${folder})`
      if (entry.link !== true) {
        return entry.resolved === `file:${folder}`
          ? undefined
          : `${wanted} but the lockfile's ${path} comes from ${entry.resolved ?? 'elsewhere'}`
      }
      const linked =
        spec.startsWith('link:') ||
        rules.workspaces.has(name) ||
        rules.workspacePaths.has(folder) ||
        (/^file:\.\.?\//.test(spec) && folder !== '..' && !folder.startsWith('../'))
      if (!linked) return `${wanted} but the lockfile's ${path} links to ${entry.resolved}`
    }
    if (entry.link === true && entry.resolved === folder) return undefined
    return `${file} wants ${name} ${spec} but the lockfile's ${path} ${entry.link === true ? `links to ${entry.resolved}` : 'is not a link'}`
  }
  const wanted = parseRegistrySpec(name, spec)
  if (wanted === undefined) return undefined
  if (entry.link === true && from === '') {
    return `${file} wants ${name} ${spec} but the lockfile links ${path} to ${entry.resolved ?? 'a folder'}`
  }
  // a workspace's dependency on another workspace's name resolves to that workspace's link
  if (entry.link === true) return undefined
  const lockedName = entry.name ?? name
  if (lockedName !== wanted.name) {
    const what = wanted.isAlias ? `as an alias of ${wanted.name}` : spec
    return `${file} wants ${name} ${what} but the lockfile's ${path} is ${lockedName}`
  }
  if (entry.version === undefined)
    return `${file} wants ${name} ${spec} but the lockfile's ${path} has no version`
  // A dist-tag ("latest", "next") names no range to check against.
  if (semver.validRange(wanted.range, { loose: true }) === null) return undefined
  if (!semver.satisfies(entry.version, wanted.range, { loose: true })) {
    return `${file} wants ${name} ${spec} but the lockfile has ${entry.version}${path === `node_modules/${name}` ? '' : ` at ${path}`}`
  }
  return undefined
}

/** Where `name` resolves from the folder `from` (its node_modules, then each folder's above), as Node finds it. */
function resolveFrom(packages: Lockfile['packages'], from: string, name: string): string | undefined {
  for (let base = from; ; base = base.includes('/') ? base.slice(0, base.lastIndexOf('/')) : '') {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`
    if (packages[candidate]) return candidate
    if (base === '') return undefined
  }
}

/**
 * The workspaces a lockfile records, as npm's mapWorkspaces.virtual finds them: the keys outside
 * node_modules that the root entry's `workspaces` patterns match, extraneous ones left out.
 */
export function lockedWorkspacePaths(lockfile: Lockfile): string[] {
  const declared = lockfile.packages['']?.workspaces
  if (declared === undefined) return []
  let patterns: { patterns: string[]; negated: string[] }
  try {
    patterns = workspacePatterns(declared)
  } catch {
    return []
  }
  // an extraneous entry is a folder left over, not a workspace (npm ci installs without it)
  return Object.keys(lockfile.packages).filter(
    (key) =>
      key !== '' &&
      lockfile.packages[key]?.extraneous !== true &&
      !key.startsWith('node_modules/') &&
      !key.includes('/node_modules/') &&
      patterns.patterns.some((pattern) => globMatch(key, pattern)) &&
      !patterns.negated.some((pattern) => globMatch(key, pattern)),
  )
}

/** What `npm ci` checks of each workspace: its entry, its link, and each of its dependencies. */
function workspaceReasons(
  lockfile: Lockfile,
  workspaces: readonly WorkspaceManifestFile[],
  rules: FolderRules,
): string[] {
  const reasons: string[] = []
  const locked = new Set(lockedWorkspacePaths(lockfile))
  for (const { path, manifest } of workspaces) {
    const file = `${path}/package.json`
    locked.delete(path)
    const entry = lockfile.packages[path]
    const name = typeof manifest.name === 'string' && manifest.name ? manifest.name : posix.basename(path)
    if (entry === undefined) {
      reasons.push(`${path} is a workspace but the lockfile has no entry for it`)
      continue
    }
    const link = lockfile.packages[`node_modules/${name}`]
    if (link?.link !== true || link.resolved !== path) {
      reasons.push(`the workspace ${name} (${path}) is not linked at node_modules/${name} in the lockfile`)
    }
    const wanted = manifestMaps(manifest)
    const byName = compareFolderEntry(entry, wanted, file, `the lockfile's ${path}`)
    reasons.push(...byName.values())
    for (const type of DEPENDENCY_FIELDS) {
      for (const [dep, spec] of Object.entries(wanted[type])) {
        if (byName.has(dep)) continue
        const at = resolveFrom(lockfile.packages, path, dep)
        if (at === undefined) {
          const mayBeMissing =
            type === 'optionalDependencies' ||
            (type === 'peerDependencies' && manifest.peerDependenciesMeta?.[dep]?.optional === true)
          if (!mayBeMissing)
            reasons.push(`${file} wants ${dep} ${spec} but the lockfile has no node_modules/${dep} for it`)
          continue
        }
        const reason = checkInstalled(rules, dep, spec, lockfile.packages[at]!, at, path, file)
        if (reason !== undefined) reasons.push(reason)
      }
    }
  }
  for (const path of locked) reasons.push(`the lockfile has the workspace ${path} but the project does not`)
  return reasons
}

/**
 * Whether an install can use the lockfile as it is, as `npm ci` requires: the root entry (`""`)
 * records the same dependencies, devDependencies, optionalDependencies and peerDependencies as
 * package.json, and every direct dependency has an entry at `node_modules/<name>` whose version
 * satisfies its range (for `npm:` aliases, the aliased name and range). Optional dependencies
 * and optional peers may be missing (npm leaves out those it could not fetch).
 */
export function isLockfileInSync(
  lockfile: Lockfile,
  manifest: ProjectManifest,
  options: LockfileSyncOptions = {},
): LockfileSyncResult {
  const rules: FolderRules = {
    installLinks: options.installLinks === true,
    workspaces: new Set(
      (options.workspaces ?? []).map(({ path, manifest: ws }) =>
        typeof ws.name === 'string' && ws.name ? ws.name : posix.basename(path),
      ),
    ),
    workspacePaths: new Set((options.workspaces ?? []).map(({ path }) => path)),
  }
  const root = lockfile.packages['']
  if (root === undefined) {
    return { inSync: false, reasons: ['the lockfile has no root entry (packages[""])'] }
  }
  const wanted = manifestMaps(manifest)
  const workspaceNames = new Set(
    (options.workspaces ?? []).map(({ path, manifest: ws }) =>
      typeof ws.name === 'string' && ws.name ? ws.name : posix.basename(path),
    ),
  )
  const byName = compareFolderEntry(root, wanted)
  const reasons = [...byName.values()]
  const optionalPeers = manifest.peerDependenciesMeta ?? {}
  for (const type of DEPENDENCY_FIELDS) {
    for (const [name, spec] of Object.entries(wanted[type])) {
      // One difference, one line: a range changed in package.json is not also a version mismatch.
      // the root's dependency on a workspace's name is the workspace (npm)
      if (byName.has(name) || workspaceNames.has(name)) continue
      const entry = lockfile.packages[`node_modules/${name}`]
      if (entry === undefined) {
        const mayBeMissing =
          type === 'optionalDependencies' ||
          (type === 'peerDependencies' && optionalPeers[name]?.optional === true)
        if (!mayBeMissing)
          reasons.push(`package.json wants ${name} ${spec} but the lockfile has no node_modules/${name}`)
        continue
      }
      const reason = checkInstalled(rules, name, spec, entry)
      if (reason !== undefined) reasons.push(reason)
    }
  }
  reasons.push(...workspaceReasons(lockfile, options.workspaces ?? [], rules))
  const unique = [...new Set(reasons)]
  return { inSync: unique.length === 0, reasons: unique }
}
