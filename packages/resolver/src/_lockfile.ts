import { posix } from 'node:path'
import type { Lockfile, LockfilePackage, PackageManifest, ProjectManifest } from '@tote/types'
import { depValid } from './_edge.js'
import type { Folders } from './_folders.js'
import { nameFromFolder } from './_local.js'
import type { OverrideSet } from './_overrides.js'
import { isRegistrySpec, parseSpec } from './_spec.js'
import { bundleList, Node, type TreeContext } from './_tree.js'

// Between the placed tree and package-lock v3: writing entries the way npm writes them, and loading
// a lockfile back into a tree to start from.

export interface EntryOptions {
  omitRegistryResolved: boolean
  registryFor: ((name: string) => string) | undefined
}

const flagFields = ['dev', 'optional', 'devOptional', 'peer', 'extraneous'] as const

/** The lockfile of the tree under `root`, entries sorted by path with `compare`. */
export function toLockfile(
  root: Node,
  project: ProjectManifest,
  options: EntryOptions,
  compare: (a: string, b: string) => number,
): Lockfile {
  const nodes = descendants(root).sort((a, b) => compare(a.location, b.location))
  const packages: Record<string, LockfilePackage> = { '': rootEntry(project) }
  // npm's inBundle, only looked for where some package bundles (it walks every dependant)
  const bundles = [root, ...nodes].some((node) => !node.linkTarget && bundleList(node.pkg).length > 0)
  if (nonEmpty(project.workspaces))
    packages['']!.workspaces = project.workspaces as LockfilePackage['workspaces']
  for (const node of nodes) {
    const entry = entryOf(node, options)
    if (bundles && !node.lockEntry && !node.linkTarget && node.fsPath === undefined && node.inBundle) {
      entry.inBundle = true
    }
    packages[node.location] = entry
  }
  const lockfile: Lockfile = { lockfileVersion: 3, requires: true, packages }
  const head: Partial<Lockfile> = {}
  if (typeof project.name === 'string') head.name = project.name
  if (typeof project.version === 'string') head.version = project.version
  return { ...head, ...lockfile }
}

/** Every node of the tree but `root`: packages in node_modules, and the project's folder nodes with theirs. */
export function descendants(root: Node): Node[] {
  const result: Node[] = []
  const walk = (node: Node) => {
    for (const kid of [...node.children.values(), ...node.fsChildren, ...node.outsideNodes]) {
      result.push(kid)
      walk(kid)
    }
  }
  walk(root)
  return result
}

function rootEntry(project: ProjectManifest): LockfilePackage {
  const entry: LockfilePackage = {}
  if (typeof project.name === 'string') entry.name = project.name
  if (typeof project.version === 'string') entry.version = project.version
  const license = licenseOf(project.license)
  if (license) entry.license = license
  for (const field of [
    'dependencies',
    'devDependencies',
    'optionalDependencies',
    'peerDependencies',
  ] as const) {
    if (nonEmpty(project[field])) entry[field] = project[field]
  }
  if (nonEmpty(project.peerDependenciesMeta)) entry.peerDependenciesMeta = project.peerDependenciesMeta
  const bundle = normalizedPackage(project as Record<string, unknown>).bundleDependencies
  if (Array.isArray(bundle) && bundle.length > 0) entry.bundleDependencies = bundle
  const bin = normalizeBin(project.bin, project.name)
  if (bin) entry.bin = bin
  for (const field of ['engines', 'funding', 'os', 'cpu', 'libc'] as const) {
    if (nonEmpty(project[field]))
      (entry as Record<string, unknown>)[field] = normalized(field, project[field])
  }
  return entry
}

function entryOf(node: Node, options: EntryOptions): LockfilePackage {
  if (node.linkTarget) return { resolved: node.linkTarget.location, link: true }
  const entry: LockfilePackage =
    node.fsPath !== undefined
      ? folderEntry(node)
      : node.fromBundle
        ? bundledEntry(node)
        : node.manifest
          ? manifestEntry(node, node.manifest, options)
          : lockEntry(node, options)
  if (node.extraneous) entry.extraneous = true
  else {
    if (node.dev) entry.dev = true
    if (node.optional) entry.optional = true
    if (node.devOptional && !node.dev && !node.optional) entry.devOptional = true
    if (node.peer) entry.peer = true
  }
  return entry
}

/**
 * The entry of a folder of the project's (a workspace, a `file:` link's folder), made from its
 * package.json as npm's metaFromNode makes it: the package fields npm keeps, after npm's package.json
 * normalisation (bundledDependencies, optional dependencies left out of dependencies, funding, bin),
 * `devDependencies` (even empty: the folder is a top), and `name` only when the folder's name differs (or the name of the link that made it, see Node.linkedAs).
 */
function folderEntry(node: Node): LockfilePackage {
  const pkg = normalizedPackage(node.pkg as Record<string, unknown>)
  const entry: Record<string, unknown> = {}
  for (const key of FOLDER_KEYS) {
    const value = metaField(pkg, key)
    if (value !== undefined) entry[key] = value
  }
  const scripts =
    pkg.scripts && typeof pkg.scripts === 'object' ? (pkg.scripts as Record<string, unknown>) : {}
  if (pkg.hasInstallScript || scripts.install || scripts.preinstall || scripts.postinstall) {
    entry.hasInstallScript = true
  }
  const name = typeof pkg.name === 'string' ? pkg.name : ''
  // npm's node name: the folder's, or (a folder linked from a spec this run) the first link's
  if (
    name &&
    (name !== nameFromFolder(node.fsPath ?? '') || (node.linkedAs !== undefined && name !== node.linkedAs))
  )
    entry.name = name
  if (pkg.devDependencies) entry.devDependencies = pkg.devDependencies
  return entry as LockfilePackage
}

/**
 * The entry of a package shipped in its bundler's tarball, from its package.json as npm's
 * metaFromNode makes it: no `resolved` or `integrity` unless its package.json has npm's old
 * `_resolved`/`_integrity`; `inBundle` is added by the caller.
 */
function bundledEntry(node: Node): LockfilePackage {
  const pkg = node.pkg as Record<string, unknown>
  const entry: Record<string, unknown> = {}
  for (const key of FOLDER_KEYS) {
    const value = metaField(pkg, key)
    if (value !== undefined) entry[key] = value
  }
  if (typeof pkg._integrity === 'string' && pkg._integrity) entry.integrity = pkg._integrity
  if (pkg._hasShrinkwrap === true) entry.hasShrinkwrap = true
  const resolved = pkg._resolved
  if (typeof resolved === 'string' && resolved && !(resolved.startsWith('file:') && pkg._where)) {
    entry.resolved = resolved
  }
  const scripts =
    pkg.scripts && typeof pkg.scripts === 'object' ? (pkg.scripts as Record<string, unknown>) : {}
  if (pkg.hasInstallScript || scripts.install || scripts.preinstall || scripts.postinstall) {
    entry.hasInstallScript = true
  }
  if (node.packageName !== node.name) entry.name = node.packageName
  return entry as LockfilePackage
}

/** npm's pkgMetaKeys, as far as a folder's package.json has them (no `_integrity` or `_hasShrinkwrap`). */
const FOLDER_KEYS = [
  'version',
  'dependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'optionalDependencies',
  'bundleDependencies',
  'acceptDependencies',
  'funding',
  'engines',
  'os',
  'cpu',
  'libc',
  'license',
  'bin',
  'deprecated',
  'workspaces',
] as const

/** npm's metaFieldFromPkg: a truthy value, a license object's type, no empty objects or arrays. */
function metaField(pkg: Record<string, unknown>, key: string): unknown {
  const value = pkg[key]
  if (!value) return undefined
  if (
    key === 'license' &&
    typeof value === 'object' &&
    typeof (value as { type?: unknown }).type === 'string'
  ) {
    return (value as { type: string }).type
  }
  if (typeof value !== 'object' || Object.keys(value).length > 0) return value
  return undefined
}

/** The steps of npm's package.json normalisation (@npmcli/package-json) that change lockfile fields. */
export function normalizedPackage(pkg: Record<string, unknown>): Record<string, unknown> {
  const data: Record<string, unknown> = { ...pkg }
  if (data.bundleDependencies === undefined && data.bundledDependencies !== undefined) {
    data.bundleDependencies = data.bundledDependencies
  }
  delete data.bundledDependencies
  const bundle = data.bundleDependencies
  if (bundle === false) data.bundleDependencies = []
  else if (bundle === true) data.bundleDependencies = Object.keys((data.dependencies as object) ?? {})
  else if (bundle && typeof bundle === 'object') {
    if (!Array.isArray(bundle)) data.bundleDependencies = Object.keys(bundle)
  } else delete data.bundleDependencies
  const optional = data.optionalDependencies
  if (data.dependencies && optional && typeof optional === 'object') {
    const dependencies = { ...(data.dependencies as Record<string, string>) }
    for (const name of Object.keys(optional)) delete dependencies[name]
    if (Object.keys(dependencies).length > 0) data.dependencies = dependencies
    else delete data.dependencies
  }
  if (typeof data.funding === 'string' && data.funding) data.funding = { url: data.funding }
  const bin = normalizeBin(data.bin, typeof data.name === 'string' ? data.name : undefined)
  if (bin) data.bin = bin
  else delete data.bin
  return data
}

function lockEntry(node: Node, options: EntryOptions): LockfilePackage {
  const entry: LockfilePackage = { ...node.lockEntry }
  for (const flag of flagFields) delete entry[flag]
  // npm's omit-lockfile-registry-resolved drops `resolved` from every registry dependency it
  // saves, those kept from the lockfile it read too (arborist's overrideResolves)
  if (
    options.omitRegistryResolved &&
    typeof entry.resolved === 'string' &&
    /^https?:/i.test(entry.resolved)
  ) {
    const edges = node.edgesIn
    if (edges.length > 0 && edges.every((edge) => isRegistrySpec(edge.parsed))) delete entry.resolved
  }
  return entry
}

function manifestEntry(node: Node, manifest: PackageManifest, options: EntryOptions): LockfilePackage {
  const entry: LockfilePackage = {}
  if (node.packageName !== node.name) entry.name = node.packageName
  entry.version = manifest.version
  const tarball = manifest.dist?.tarball
  if (
    tarball &&
    (node.fromSource ||
      !(options.omitRegistryResolved && isRegistryUrl(tarball, manifest.name, options.registryFor)))
  ) {
    entry.resolved = tarball
  }
  const integrity = integrityOf(manifest)
  if (integrity) entry.integrity = integrity
  const license = licenseOf(manifest.license)
  if (license) entry.license = license
  if (typeof manifest.deprecated === 'string' && manifest.deprecated) entry.deprecated = manifest.deprecated
  if (manifest.hasInstallScript === true) entry.hasInstallScript = true
  for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies'] as const) {
    if (nonEmpty(manifest[field])) entry[field] = manifest[field]
  }
  if (nonEmpty(manifest.peerDependenciesMeta)) entry.peerDependenciesMeta = manifest.peerDependenciesMeta
  if (Array.isArray(manifest.bundleDependencies) && manifest.bundleDependencies.length > 0) {
    entry.bundleDependencies = manifest.bundleDependencies
  }
  const bin = normalizeBin(manifest.bin, manifest.name)
  if (bin) entry.bin = bin
  for (const field of ['engines', 'os', 'cpu', 'libc', 'funding'] as const) {
    if (nonEmpty(manifest[field]))
      (entry as Record<string, unknown>)[field] = normalized(field, manifest[field])
  }
  // not a PackageManifest field, but npm copies it when a client passes it through
  if (nonEmpty(manifest.workspaces)) entry.workspaces = manifest.workspaces
  return entry
}

/** npm's package.json normalisation of the copied fields: a funding string becomes `{ url }`. */
function normalized(field: string, value: unknown): unknown {
  return field === 'funding' && typeof value === 'string' ? { url: value } : value
}

function isRegistryUrl(url: string, name: string, registryFor: EntryOptions['registryFor']): boolean {
  if (!registryFor) return true
  const registry = registryFor(name)
  return url.startsWith(registry.endsWith('/') ? registry : `${registry}/`)
}

/** dist.integrity, else npm's `sha1-<base64>` made from the hex shasum. */
export function integrityOf(manifest: PackageManifest): string | undefined {
  if (manifest.dist?.integrity) return manifest.dist.integrity
  const shasum = manifest.dist?.shasum
  if (shasum && /^[0-9a-f]{40}$/i.test(shasum)) return `sha1-${Buffer.from(shasum, 'hex').toString('base64')}`
  return undefined
}

function licenseOf(license: unknown): string | string[] | undefined {
  if (typeof license === 'string') return license || undefined
  if (Array.isArray(license)) return license.length > 0 ? (license as string[]) : undefined
  if (license && typeof license === 'object' && typeof (license as { type?: unknown }).type === 'string') {
    return (license as { type: string }).type
  }
  return undefined
}

function nonEmpty(value: unknown): boolean {
  if (!value) return false
  if (typeof value !== 'object') return true
  return Object.keys(value).length > 0
}

/** npm-normalize-package-bin: a string becomes `{ <unscoped name>: path }`, paths lose `./`. */
export function normalizeBin(bin: unknown, name: string | undefined): Record<string, string> | undefined {
  const object: Record<string, unknown> =
    typeof bin === 'string'
      ? { [(name ?? '').replace(/^@[^/]+\//, '')]: bin }
      : bin && typeof bin === 'object'
        ? (bin as Record<string, unknown>)
        : {}
  const clean: Record<string, string> = {}
  for (const [key, target] of Object.entries(object)) {
    const base = posix.join('/', posix.basename(key.replace(/\\|:/g, '/'))).slice(1)
    if (typeof target !== 'string' || !base) continue
    const path = posix.join('/', target.replace(/\\/g, '/')).slice(1)
    if (path) clean[base] = path
  }
  return Object.keys(clean).length > 0 ? clean : undefined
}

/**
 * Builds the locked tree under `root` (a project node); returns the nodes made, shallowest first.
 * The project's folders (workspaces, `file:` link targets: keys outside node_modules) come first,
 * from `folders` when it knows them, else from their package.json as `folderPackages` has it (npm
 * reads a link target's package.json again: the user may have changed it), else from the entry.
 * `manifests`: registry manifests of some entries (an old lockfile's, completed from the registry):
 * those nodes are made from them, and written back from them.
 */
export function loadLockedTree(
  lockfile: Lockfile,
  root: Node,
  ctx: TreeContext,
  rootOverrides: OverrideSet | undefined,
  folders: Folders,
  folderPackages: ReadonlyMap<string, ProjectManifest>,
  manifests?: ReadonlyMap<string, PackageManifest>,
): Node[] {
  const byLocation = new Map<string, Node>([['', root]])
  const all = Object.entries(lockfile.packages ?? {})
  const folderEntries = all
    .filter(([location]) => location !== '' && !isInstallLocation(location))
    .sort(([a], [b]) => a.length - b.length)
  for (const [location, entry] of folderEntries) {
    let node = folders.known(location)
    if (!node) {
      const pkg = folderPackages.get(location) ?? (entry as ProjectManifest)
      node = folders.folderNode(location, pkg, false, entry)
      folders.remember(location, node)
      root.attachFolder(node)
    }
    byLocation.set(location, node)
  }
  const entries = all
    .filter(([location]) => isInstallLocation(location))
    .sort(([a], [b]) => segments(a) - segments(b))
  const links: [string, LockfilePackage][] = []
  for (const [location, entry] of entries) {
    if (entry.link) {
      links.push([location, entry])
      continue
    }
    const { parent: parentLocation, name } = splitLocation(location)
    const parent = byLocation.get(parentLocation)
    if (!parent) continue
    const manifest = manifests?.get(location)
    const pkg = manifest ?? {
      name: typeof entry.name === 'string' ? entry.name : name,
      version: entry.version,
      dependencies: entry.dependencies,
      optionalDependencies: entry.optionalDependencies,
      peerDependencies: entry.peerDependencies,
      peerDependenciesMeta: entry.peerDependenciesMeta,
      bundleDependencies: entry.bundleDependencies as string[] | boolean | undefined,
    }
    const overrides = rootOverrides
      ? nodeRule(rootOverrides, ctx, name, pkg.name, entry.version ?? '')
      : undefined
    const node = new Node({ ctx, name, pkg, lockEntry: entry, overrides, ...(manifest ? { manifest } : {}) })
    // what a locked package bundles is in the lockfile already
    node.bundleLoaded = true
    if (typeof entry.resolved === 'string' && !/^https?:/i.test(entry.resolved)) node.fromSource = true
    node.attach(parent)
    byLocation.set(location, node)
  }
  for (const [location, entry] of links) {
    const target = typeof entry.resolved === 'string' ? byLocation.get(entry.resolved) : undefined
    const { parent: parentLocation, name } = splitLocation(location)
    const parent = byLocation.get(parentLocation)
    if (!target || !parent) continue
    const link = new Node({ ctx, name, pkg: {}, linkTarget: target })
    link.attach(parent)
    byLocation.set(location, link)
  }
  return [...byLocation.values()].filter((node) => node !== root)
}

/** `packages/a/node_modules/@s/b` → parent `packages/a`, name `@s/b`. */
function splitLocation(location: string): { parent: string; name: string } {
  const cut = location.lastIndexOf('/node_modules/')
  if (cut === -1) return { parent: '', name: location.slice('node_modules/'.length) }
  return { parent: location.slice(0, cut), name: location.slice(cut + '/node_modules/'.length) }
}

/** A key under some node_modules (`node_modules/a`, `packages/a/node_modules/b`), not a folder of the project's. */
export function isInstallLocation(location: string): boolean {
  return location.startsWith('node_modules/') || location.includes('/node_modules/')
}

/** npm's getNodeRule for a top-level rule: the rule for this package whose range its version is in. */
function nodeRule(set: OverrideSet, ctx: TreeContext, name: string, packageName: string, version: string) {
  for (const rule of set.ruleset.values()) {
    if (rule.name !== name) continue
    const probe = new Node({ ctx, name, pkg: { name: packageName, version } })
    if (
      depValid(probe, parseSpec(name, rule.keySpec ?? '*')) ||
      depValid(probe, parseSpec(name, rule.value ?? '*'))
    )
      return rule
  }
  return set
}

function segments(location: string): number {
  return location.split('node_modules/').length
}

/** True when the root entry declares exactly the project's dependencies. */
export function rootMatches(lockfile: Lockfile, project: ProjectManifest): boolean {
  const entry = lockfile.packages?.[''] ?? {}
  for (const field of [
    'dependencies',
    'devDependencies',
    'optionalDependencies',
    'peerDependencies',
  ] as const) {
    const a = entry[field] ?? {}
    const b = project[field] ?? {}
    const keys = Object.keys(a)
    if (keys.length !== Object.keys(b).length) return false
    for (const key of keys) if (a[key] !== b[key]) return false
  }
  return (
    JSON.stringify(entry.workspaces ?? null) ===
    JSON.stringify(nonEmpty(project.workspaces) ? project.workspaces : null)
  )
}
