import { posix } from 'node:path'
import type { Lockfile, LockfilePackage, PackageManifest, ProjectManifest } from '@tote/types'
import { depValid } from './_edge.js'
import type { OverrideSet } from './_overrides.js'
import { parseSpec } from './_spec.js'
import { Node, type TreeContext } from './_tree.js'

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
  for (const node of nodes) packages[node.location] = entryOf(node, options)
  const lockfile: Lockfile = { lockfileVersion: 3, requires: true, packages }
  const head: Partial<Lockfile> = {}
  if (typeof project.name === 'string') head.name = project.name
  if (typeof project.version === 'string') head.version = project.version
  return { ...head, ...lockfile }
}

export function descendants(root: Node): Node[] {
  const result: Node[] = []
  const walk = (node: Node) => {
    for (const kid of node.children.values()) {
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
  const entry: LockfilePackage = node.manifest ? manifestEntry(node, node.manifest, options) : lockEntry(node)
  if (node.extraneous) entry.extraneous = true
  else {
    if (node.dev) entry.dev = true
    if (node.optional) entry.optional = true
    if (node.devOptional && !node.dev && !node.optional) entry.devOptional = true
    if (node.peer) entry.peer = true
  }
  return entry
}

function lockEntry(node: Node): LockfilePackage {
  const entry: LockfilePackage = { ...node.lockEntry }
  for (const flag of flagFields) delete entry[flag]
  return entry
}

function manifestEntry(node: Node, manifest: PackageManifest, options: EntryOptions): LockfilePackage {
  const entry: LockfilePackage = {}
  if (node.packageName !== node.name) entry.name = node.packageName
  entry.version = manifest.version
  const tarball = manifest.dist?.tarball
  if (
    tarball &&
    !(options.omitRegistryResolved && isRegistryUrl(tarball, manifest.name, options.registryFor))
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

/** Builds the locked tree under `root` (a project node); returns the nodes made, shallowest first. */
export function loadLockedTree(
  lockfile: Lockfile,
  root: Node,
  ctx: TreeContext,
  rootOverrides: OverrideSet | undefined,
): Node[] {
  const byLocation = new Map<string, Node>([['', root]])
  const entries = Object.entries(lockfile.packages ?? {})
    .filter(([location]) => location.startsWith('node_modules/'))
    .sort(([a], [b]) => segments(a) - segments(b))
  const links: [string, LockfilePackage][] = []
  for (const [location, entry] of entries) {
    if (entry.link) {
      links.push([location, entry])
      continue
    }
    const cut = location.lastIndexOf('/node_modules/')
    const parent = byLocation.get(cut === -1 ? '' : location.slice(0, cut))
    if (!parent) continue
    const name =
      cut === -1 ? location.slice('node_modules/'.length) : location.slice(cut + '/node_modules/'.length)
    const pkg = {
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
    const node = new Node({ ctx, name, pkg, lockEntry: entry, overrides })
    node.attach(parent)
    byLocation.set(location, node)
  }
  for (const [location, entry] of links) {
    const target = typeof entry.resolved === 'string' ? byLocation.get(entry.resolved) : undefined
    const cut = location.lastIndexOf('/node_modules/')
    const parent = byLocation.get(cut === -1 ? '' : location.slice(0, cut))
    if (!target || !parent) continue
    const name = location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length)
    const link = new Node({ ctx, name, pkg: {}, linkTarget: target })
    link.attach(parent)
    byLocation.set(location, link)
  }
  return [...byLocation.values()].filter((node) => node !== root)
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
  return true
}
