import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path'
import { readLockfile, readWorkspaces } from '@tote/lockfile'
import { specAccepts } from '@tote/package-json'
import type { Lockfile, LockfilePackage, ProjectManifest } from '@tote/types'
import { nameOfPath } from './_plan.js'
import { HIDDEN_LOCKFILE, readTrustedTree } from './_tree-state.js'

// The installed tree, as npm's ls and explain see it: every package folder in node_modules (from the
// hidden lockfile npm and tote keep there, else from the folders' package.json), and the edges of
// each package to what Node would load for each of its dependencies.

export type EdgeType = 'prod' | 'dev' | 'optional' | 'peer' | 'peerOptional' | 'workspace'

export interface InstalledEdge {
  type: EdgeType
  name: string
  spec: string
  from: InstalledNode
  /** What the dependency resolves to from `from` (nearest node_modules up), if anything. */
  to: InstalledNode | undefined
  /** `to` meets the spec. */
  valid: boolean
}

export interface InstalledNode {
  /** Install path (`node_modules/a/node_modules/b`); `''` for the project. */
  location: string
  /** The folder name (the alias, for an alias). */
  name: string
  /** The package's own name. */
  packageName: string
  version: string | undefined
  resolved: string | undefined
  entry: LockfilePackage
  edgesOut: InstalledEdge[]
  edgesIn: InstalledEdge[]
  /** Nothing in the project depends on it, directly or not. */
  extraneous: boolean
  /** Only reachable through dev, optional or peer dependencies (npm's flags). */
  dev: boolean
  optional: boolean
  peer: boolean
  isRoot: boolean
  /** For a link (a workspace, a `file:` folder): the folder it points to, from the project (`packages/a`). */
  linkTarget?: string
}

export interface InstalledTree {
  root: InstalledNode
  nodes: Map<string, InstalledNode>
}

/** Package folders under node_modules (scoped ones included), recursively, with their package.json. */
function scanFolders(projectDir: string): Lockfile['packages'] {
  const packages: Lockfile['packages'] = {}
  const walk = (dir: string, prefix: string) => {
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch {
      return
    }
    for (const name of names) {
      if (name.startsWith('.')) continue
      if (name.startsWith('@')) {
        for (const inner of readdirSafe(join(dir, name)))
          visit(join(dir, name, inner), `${prefix}${name}/${inner}`)
      } else visit(join(dir, name), `${prefix}${name}`)
    }
  }
  const visit = (folder: string, path: string) => {
    const target = linkTargetOf(projectDir, folder)
    if (target !== undefined) {
      packages[path] = { link: true, resolved: target } as LockfilePackage
      if (packages[target] === undefined) visit(join(projectDir, target), target)
      return
    }
    const entry = folderEntry(folder, path)
    if (entry === undefined) return
    packages[path] = entry
    walk(join(folder, 'node_modules'), `${path}/node_modules/`)
  }
  walk(join(projectDir, 'node_modules'), 'node_modules/')
  return packages
}

/** The lockfile entry of the package in `folder` (at install path `path`), from its package.json. */
function folderEntry(folder: string, path: string): LockfilePackage | undefined {
  let manifest: Record<string, unknown>
  try {
    manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'))
  } catch {
    return undefined
  }
  const entry: LockfilePackage = { version: String(manifest.version ?? '') }
  if (typeof manifest.name === 'string' && manifest.name !== nameOfPath(path)) entry.name = manifest.name
  for (const field of [
    'dependencies',
    'devDependencies',
    'optionalDependencies',
    'peerDependencies',
    'peerDependenciesMeta',
  ] as const) {
    if (manifest[field] && typeof manifest[field] === 'object')
      (entry as Record<string, unknown>)[field] = manifest[field]
  }
  return entry
}

/** A symlink to a folder inside the project: that folder, from the project; else undefined. */
function linkTargetOf(projectDir: string, folder: string): string | undefined {
  try {
    if (!lstatSync(folder).isSymbolicLink()) return undefined
    const target = relative(realpathSync(projectDir), realpathSync(folder)).split(sep).join('/')
    return target === '' || target.startsWith('..') || isAbsolute(target) ? undefined : target
  } catch {
    return undefined
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

/** Where `name` resolves from the package at `from`, as Node looks it up (nearest node_modules up). */
function resolveFrom(
  nodes: Map<string, InstalledNode>,
  from: string,
  name: string,
): InstalledNode | undefined {
  let base = from
  for (;;) {
    const node = nodes.get(base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`)
    if (node) return node
    if (base === '') return undefined
    const cut = base.lastIndexOf('/node_modules/')
    base = cut === -1 ? '' : base.slice(0, cut)
  }
}

/**
 * The project's installed tree: the hidden lockfile (what an install finished putting there, less
 * what an interrupted one may have touched) when there is one, else the folders themselves. The
 * `resolved` of a package comes from package-lock.json when the hidden lockfile has none.
 */
export async function loadInstalledTree(
  projectDir: string,
  manifest: ProjectManifest,
): Promise<InstalledTree> {
  const nodeModules = join(projectDir, 'node_modules')
  const hidden = existsSync(join(nodeModules, HIDDEN_LOCKFILE))
    ? await readTrustedTree(nodeModules)
    : undefined
  const packages = hidden?.packages ?? scanFolders(projectDir)
  const lock = await readLockfile(join(projectDir, 'package-lock.json')).catch(() => undefined)
  const nodes = new Map<string, InstalledNode>()
  const make = (location: string, entry: LockfilePackage, isRoot: boolean): InstalledNode => ({
    location,
    name: isRoot ? (manifest.name ?? basename(projectDir)) : nameOfPath(location),
    packageName: isRoot ? (manifest.name ?? basename(projectDir)) : (entry.name ?? nameOfPath(location)),
    version: entry.version || undefined,
    resolved:
      entry.resolved ??
      (lock?.packages[location]?.version === entry.version ? lock?.packages[location]?.resolved : undefined),
    entry,
    edgesOut: [],
    edgesIn: [],
    extraneous: !isRoot,
    dev: false,
    optional: false,
    peer: false,
    isRoot,
  })
  const root = make('', { ...(manifest as LockfilePackage) }, true)
  root.version = typeof manifest.version === 'string' ? manifest.version : undefined
  for (const [location, entry] of Object.entries(packages)) {
    if (location === '' || entry.link) continue
    if (!location.startsWith('node_modules/') && !location.includes('/node_modules/')) continue
    if (!existsSync(join(projectDir, location))) continue
    nodes.set(location, make(location, entry, false))
  }
  // a link shows its folder's package, and its dependencies resolve from that folder (as Node's do)
  for (const [location, entry] of Object.entries(packages)) {
    const target = entry.link === true && typeof entry.resolved === 'string' ? entry.resolved : undefined
    if (target === undefined || !location.startsWith('node_modules/')) continue
    const targetEntry = packages[target] ?? folderEntry(join(projectDir, target), target)
    if (targetEntry === undefined || !existsSync(join(projectDir, location))) continue
    const node = make(location, targetEntry, false)
    node.linkTarget = target
    node.resolved = `file:${relative(dirname(join(projectDir, location)), join(projectDir, target))
      .split(sep)
      .join('/')}`
    nodes.set(location, node)
  }
  const link = (node: InstalledNode, type: EdgeType, map: Record<string, string> | undefined) => {
    for (const [name, spec] of Object.entries(map ?? {})) {
      // the project's optional dependency wins over the same name in dependencies, as npm's edges
      if (node.edgesOut.some((edge) => edge.name === name)) continue
      const to = resolveFrom(nodes, node.linkTarget ?? node.location, name)
      const valid =
        to?.version !== undefined && specAccepts(spec, name, { name: to.packageName, version: to.version })
      const edge: InstalledEdge = { type, name, spec, from: node, to, valid }
      node.edgesOut.push(edge)
      to?.edgesIn.push(edge)
    }
  }
  // npm's workspace edges: the project to each workspace's link
  for (const workspace of await readWorkspaces(projectDir, manifest).catch(() => [])) {
    const name = typeof workspace.manifest.name === 'string' ? workspace.manifest.name : undefined
    if (name === undefined) continue
    const to = nodes.get(`node_modules/${name}`)
    const edge: InstalledEdge = {
      type: 'workspace',
      name,
      spec: workspace.path,
      from: root,
      to,
      valid: to !== undefined,
    }
    root.edgesOut.push(edge)
    to?.edgesIn.push(edge)
  }
  for (const node of [root, ...nodes.values()]) {
    const { entry } = node
    link(node, 'optional', entry.optionalDependencies)
    link(node, 'prod', entry.dependencies)
    // a workspace's or a linked folder's dev dependencies are installed, as the project's
    if (node.isRoot || node.linkTarget !== undefined) link(node, 'dev', entry.devDependencies)
    const meta = entry.peerDependenciesMeta ?? {}
    const peers = entry.peerDependencies ?? {}
    link(
      node,
      'peer',
      Object.fromEntries(Object.entries(peers).filter(([name]) => meta[name]?.optional !== true)),
    )
    link(
      node,
      'peerOptional',
      Object.fromEntries(Object.entries(peers).filter(([name]) => meta[name]?.optional === true)),
    )
  }
  markFlags(root)
  return { root, nodes }
}

/** npm's dep flags: reachable at all (not extraneous), and only through dev, optional or peer edges. */
function markFlags(root: InstalledNode): void {
  const kinds = new Map<InstalledNode, Set<string>>()
  const visit = (node: InstalledNode, kind: { dev: boolean; optional: boolean; peer: boolean }) => {
    const key = `${kind.dev}${kind.optional}${kind.peer}`
    const seen = kinds.get(node) ?? new Set()
    if (seen.has(key)) return
    seen.add(key)
    kinds.set(node, seen)
    for (const edge of node.edgesOut) {
      if (!edge.to) continue
      visit(edge.to, {
        dev: kind.dev || edge.type === 'dev',
        optional: kind.optional || edge.type === 'optional' || edge.type === 'peerOptional',
        peer: kind.peer || edge.type === 'peer' || edge.type === 'peerOptional',
      })
    }
  }
  for (const edge of root.edgesOut) {
    if (!edge.to) continue
    visit(edge.to, {
      dev: edge.type === 'dev',
      optional: edge.type === 'optional' || edge.type === 'peerOptional',
      peer: edge.type === 'peer' || edge.type === 'peerOptional',
    })
  }
  for (const [node, seen] of kinds) {
    node.extraneous = false
    const all = [...seen]
    node.dev = all.every((key) => key.startsWith('true'))
    node.optional = all.every((key) => key.slice(key.startsWith('true') ? 4 : 5).startsWith('true'))
    node.peer = all.every((key) => key.endsWith('true'))
  }
}

/** npm's pkgid: `name@version`, `alias@npm:name@version` for an alias. */
export function pkgid(node: InstalledNode): string {
  return node.name === node.packageName || node.isRoot
    ? `${node.name}@${node.version ?? ''}`
    : `${node.name}@npm:${node.packageName}@${node.version ?? ''}`
}

/**
 * The project's edges that -w, --workspaces and --include-workspace-root choose (`folders`, from
 * chosenFolders: `undefined` label for the project itself); every edge without those flags.
 */
export function chosenRootEdges(
  root: InstalledNode,
  folders: readonly { label: string | undefined }[] | undefined,
): InstalledEdge[] {
  if (folders === undefined) return root.edgesOut
  const paths = new Set(folders.map((folder) => folder.label))
  return root.edgesOut.filter((edge) =>
    edge.type === 'workspace' ? paths.has(edge.to?.linkTarget ?? edge.spec) : paths.has(undefined),
  )
}
