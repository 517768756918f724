import type { LockfilePackage, PackageManifest, ProjectManifest } from '@tote/types'
import { Edge } from './_edge.js'
import type { OverrideSet } from './_overrides.js'
import { gte } from './_semver.js'
import { gatherDepSet } from './_walks.js'

// The node_modules tree being built, modelled on npm's Arborist: nodes placed in folders, and edges
// (one per declared dependency) that resolve by walking up node_modules folders.

export type EdgeType = 'prod' | 'dev' | 'optional' | 'peer' | 'peerOptional' | 'workspace'

/** Settings every node needs to compute its edges. */
export interface TreeContext {
  legacyPeerDeps: boolean
  rootPkg: ProjectManifest
  /** The project's absolute path, for `file:` specs with an absolute or `~` path (else those fail). */
  projectDir?: string | undefined
  /** npm's install-links: a `file:` folder (not a workspace) is installed as a packed copy, not linked. */
  installLinks?: boolean
}

/** The fields of a manifest, lockfile entry or package.json that edges are made from. */
export interface NodePackage {
  name?: string
  version?: string
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  bundleDependencies?: string[] | boolean
}

/** The names a package bundles: its `bundleDependencies` (`true`: all its dependencies). */
export function bundleList(pkg: NodePackage): string[] {
  const bundle = pkg.bundleDependencies
  if (bundle === true) return Object.keys(pkg.dependencies ?? {})
  return Array.isArray(bundle) ? bundle.filter((name) => typeof name === 'string') : []
}

/** Nodes and edges of one tree (the project's, or a virtual root's), by name. */
class Inventory {
  readonly edgesByName = new Map<string, Set<Edge>>()
  readonly nodesByName = new Map<string, Set<Node>>()

  add(node: Node): void {
    addTo(this.nodesByName, node.name, node)
    for (const edge of node.edgesOut.values()) addTo(this.edgesByName, edge.name, edge)
    for (const kid of node.children.values()) this.add(kid)
    for (const kid of node.fsChildren) this.add(kid)
    for (const kid of node.outsideNodes) this.add(kid)
  }

  remove(node: Node): void {
    this.nodesByName.get(node.name)?.delete(node)
    for (const edge of node.edgesOut.values()) this.edgesByName.get(edge.name)?.delete(edge)
    for (const kid of node.children.values()) this.remove(kid)
    for (const kid of node.fsChildren) this.remove(kid)
    for (const kid of node.outsideNodes) this.remove(kid)
  }
}

function addTo<T>(map: Map<string, Set<T>>, key: string, value: T): void {
  const set = map.get(key)
  if (set) set.add(value)
  else map.set(key, new Set([value]))
}

export interface NodeOptions {
  ctx: TreeContext
  name: string
  pkg: NodePackage
  manifest?: PackageManifest
  lockEntry?: LockfilePackage
  error?: Error
  isProjectRoot?: boolean
  /**
   * A folder of the project's own outside node_modules (a workspace, or the target of a `file:`
   * link): its path relative to the project, POSIX (`packages/a`, `../lib`). Such a node is a top
   * (no parent); it resolves dependencies through its own node_modules, then its fsParent's.
   */
  fsPath?: string
  /** A workspace of the project (its folder is `fsPath`). */
  isWorkspace?: boolean
  /** Loaded from its bundler's tarball (npm's bundled dependencies): `pkg` is its package.json. */
  fromBundle?: boolean
  sourceReference?: Node
  linkTarget?: Node
  overrides?: OverrideSet
}

export class Node {
  readonly ctx: TreeContext
  /** Folder name under node_modules (differs from packageName for aliases). */
  name: string
  readonly packageName: string
  readonly version: string
  readonly pkg: NodePackage
  /** The registry manifest it was made from (new nodes). */
  readonly manifest: PackageManifest | undefined
  /** The lockfile entry it was loaded from (kept nodes). */
  readonly lockEntry: LockfilePackage | undefined
  /** Why it could not be loaded (ETARGET, E404, unsupported spec): placed anyway, like npm does. */
  readonly error: Error | undefined
  readonly isProjectRoot: boolean
  /** See {@link NodeOptions.fsPath}. */
  readonly fsPath: string | undefined
  readonly isWorkspace: boolean
  readonly fromBundle: boolean
  /** Its bundled dependencies were loaded from its tarball (or need not be). */
  bundleLoaded = false
  /** For a folder node (fsPath): the folder node above it that node resolution continues in (npm's fsParent). */
  fsParent: Node | null = null
  /** Folder nodes whose fsParent this is. */
  readonly fsChildren = new Set<Node>()
  /** For a folder node outside the project (`../lib`): the project root it belongs to, with no fsParent. */
  outsideRoot: Node | null = null
  /** For the project root: the folder nodes outside the project that links point to. */
  readonly outsideNodes = new Set<Node>()
  /** For a virtual root: the node whose dependencies it copies. */
  readonly sourceReference: Node | undefined
  /** For a link (npm's answer to a dependency loop): the node it points to. */
  readonly linkTarget: Node | undefined
  /**
   * For a folder node made from a spec this run (not from a lockfile entry): the name of the first
   * link to it, which npm gives the folder node (and so records its package's name when they differ).
   */
  linkedAs: string | undefined
  readonly overrides: OverrideSet | undefined
  parent: Node | null = null
  readonly children = new Map<string, Node>()
  readonly edgesOut = new Map<string, Edge>()
  /** The edge it was first placed for, to tell who wanted it. */
  placedBy: Edge | undefined
  dev = true
  optional = true
  devOptional = true
  peer = true
  extraneous = true
  #inventory: Inventory | undefined

  constructor(options: NodeOptions) {
    this.ctx = options.ctx
    this.name = options.name
    this.pkg = options.pkg
    this.packageName = options.linkTarget?.packageName ?? options.pkg.name ?? options.name
    this.version = options.linkTarget?.version ?? options.pkg.version ?? ''
    this.manifest = options.manifest
    this.lockEntry = options.lockEntry
    this.error = options.error
    this.isProjectRoot = options.isProjectRoot ?? false
    this.fsPath = options.fsPath
    this.isWorkspace = options.isWorkspace ?? false
    this.fromBundle = options.fromBundle ?? false
    this.sourceReference = options.sourceReference
    this.linkTarget = options.linkTarget
    this.overrides = options.overrides
    if (!this.linkTarget && !this.error) this.#loadEdges()
  }

  #loadEdges(): void {
    const pkg = this.pkg
    if (!this.ctx.legacyPeerDeps && pkg.peerDependencies) {
      const meta = pkg.peerDependenciesMeta ?? {}
      const peers = Object.entries(pkg.peerDependencies)
      for (const [name, spec] of peers) if (!meta[name]?.optional) this.#addEdge(name, spec, 'peer')
      for (const [name, spec] of peers) if (meta[name]?.optional) this.#addEdge(name, spec, 'peerOptional')
    }
    for (const [name, spec] of Object.entries(pkg.dependencies ?? {})) this.#addEdge(name, spec, 'prod')
    for (const [name, spec] of Object.entries(pkg.optionalDependencies ?? {}))
      this.#addEdge(name, spec, 'optional')
    // npm loads devDependencies for the tops that are folders: the project, its workspaces, and the
    // targets of `file:` links (and the virtual roots that copy them)
    if (this.isFolder || this.sourceReference?.isFolder) {
      for (const [name, spec] of Object.entries(pkg.devDependencies ?? {})) this.#addEdge(name, spec, 'dev')
    }
  }

  /** The project root's edges to its workspaces (npm's `workspace` edges, spec `file:<path>`), first. */
  setWorkspaces(workspaces: Map<string, string>): void {
    const rest = [...this.edgesOut.entries()]
    this.edgesOut.clear()
    for (const [name, path] of workspaces) {
      this.edgesOut.set(name, new Edge(this, name, `file:${path}`, 'workspace', undefined))
    }
    // a dependency of the root on a workspace's name does not replace the workspace edge (npm)
    for (const [name, edge] of rest) if (!workspaces.has(name)) this.edgesOut.set(name, edge)
  }

  /** The project, a workspace, or a folder a `file:` link points to. */
  get isFolder(): boolean {
    return this.isProjectRoot || this.fsPath !== undefined
  }

  #addEdge(name: string, rawSpec: string, type: EdgeType): void {
    if (typeof rawSpec !== 'string') return
    const rule = this.overrides?.edgeRule(name, rawSpec)
    // A later type replaces an earlier one and keeps its position, as a Map set does in npm.
    this.edgesOut.set(name, new Edge(this, name, rawSpec, type, rule))
  }

  get root(): Node {
    let node: Node = this
    for (let up = node.resolveParent; up; up = node.resolveParent) node = up
    return node.outsideRoot ?? node
  }

  /** Where resolution continues: the parent folder's node_modules, or for a folder node its fsParent (npm's). */
  get resolveParent(): Node | null {
    return this.parent ?? this.fsParent
  }

  /** The tree's index, made on first use and kept up to date from then on. */
  get inventory(): Inventory {
    const root = this.root
    if (!root.#inventory) {
      root.#inventory = new Inventory()
      root.#inventory.add(root)
    }
    return root.#inventory
  }

  get isTop(): boolean {
    return this.parent === null
  }

  get depth(): number {
    let depth = 0
    for (let p = this.parent; p; p = p.parent) depth++
    return depth
  }

  /** Install path: `node_modules/a/node_modules/b`, `""` for a top node, `packages/a` for a folder node. */
  get location(): string {
    if (!this.parent) return this.fsPath ?? ''
    const parentLocation = this.parent.location
    return (parentLocation ? `${parentLocation}/` : '') + `node_modules/${this.name}`
  }

  *ancestry(): Generator<Node> {
    for (let node: Node | null = this; node; node = node.resolveParent) yield node
  }

  resolve(name: string): Node | null {
    for (let node: Node | null = this; node; node = node.resolveParent) {
      const child = node.children.get(name)
      if (child) return child
    }
    return null
  }

  isDescendantOf(ancestor: Node): boolean {
    for (let node: Node | null = this; node; node = node.resolveParent) if (node === ancestor) return true
    return false
  }

  satisfies(edge: Edge): boolean {
    return edge.satisfiedBy(this)
  }

  /** Same package and version (npm's `matches`); links match when their targets are the same folder. */
  matches(other: Node): boolean {
    if (other === this) return true
    if (this.error || other.error) return false
    if (this.linkTarget || other.linkTarget) {
      return this.linkTarget !== undefined && this.linkTarget === other.linkTarget
    }
    if (this.isFolder || other.isFolder) return false
    if ((this.fromSource || other.fromSource) && this.source !== other.source) return false
    return this.packageName === other.packageName && this.version === other.version
  }

  /** Where the package came from: its manifest's tarball, or its lockfile entry's `resolved`. */
  get source(): string | undefined {
    return this.manifest?.dist?.tarball ?? (this.lockEntry?.resolved as string | undefined)
  }

  /** Made from a tarball or a git repository rather than a registry version. */
  fromSource = false

  /** Edges of the tree that resolve to this node. */
  get edgesIn(): Edge[] {
    const edges = this.inventory.edgesByName.get(this.name)
    if (!edges) return []
    const result: Edge[] = []
    for (const edge of edges) if (edge.from.resolve(this.name) === this) result.push(edge)
    return result
  }

  /** Whether `replacement` keeps every dependant of this node (outside this node's own dep set) happy. */
  canReplaceWith(replacement: Node, ignorePeers: Iterable<string> = []): boolean {
    if (replacement.name !== this.name || replacement.packageName !== this.packageName) return false
    if (replacement.overrides !== this.overrides) return false
    const ignore = new Set(ignorePeers)
    const depSet = gatherDepSet([this], (e) => e.to !== this && e.valid)
    for (const edge of this.edgesIn) {
      if (!this.isTop && edge.from.parent === this.parent && edge.peer && ignore.has(edge.from.name)) continue
      if (!depSet.has(edge.from) && !edge.satisfiedBy(replacement)) return false
    }
    return true
  }

  canReplace(current: Node, ignorePeers?: Iterable<string>): boolean {
    return current.canReplaceWith(this, ignorePeers)
  }

  /**
   * npm's getBundler: the package whose tarball ships this one (the project, for its own
   * bundleDependencies): the parent lists it in `bundleDependencies`, or a package that parent
   * bundles depends on it; null when none does.
   */
  getBundler(path: Node[] = []): Node | null {
    if (path.includes(this)) return null
    path.push(this)
    const parent = this.parent
    if (!parent) return null
    const fromParent = parent.getBundler(path)
    if (fromParent) return fromParent
    if (bundleList(parent.pkg).includes(this.name)) return parent
    for (const edge of this.edgesIn) {
      if (edge.from.getBundler(path) === parent) return parent
    }
    return null
  }

  get inBundle(): boolean {
    return this.getBundler() !== null
  }

  /** Shipped in a dependency's tarball (not in the project's own bundle). */
  get inDepBundle(): boolean {
    const bundler = this.getBundler()
    return bundler !== null && bundler !== this.root
  }

  /** npm's `canDedupe`: an ancestor's node of the same name would serve every dependant as well. */
  canDedupe(preferDedupe: boolean): boolean {
    if (this.inDepBundle) return false
    const grandparent = this.resolveParent?.resolveParent
    if (!grandparent) return false
    if (this.edgesIn.length === 0) return true
    const other = grandparent.resolve(this.name)
    if (!other) return false
    if (other.matches(this)) return true
    if (!other.canReplace(this)) return false
    if (preferDedupe) return true
    return gte(other.version, this.version)
  }

  /** Puts this node (and its subtree) in `parent`'s node_modules, removing a same-name node there. */
  attach(parent: Node): void {
    if (this.parent) this.detach()
    const old = parent.children.get(this.name)
    if (old && old !== this) old.detach()
    parent.children.set(this.name, this)
    this.parent = parent
    this.#inventory = undefined
    this.root.#inventory?.add(this)
  }

  /** Takes `old`'s place, keeping its children (npm's `replace`). */
  replace(old: Node): void {
    const parent = old.parent
    if (!parent) throw new Error('cannot replace a top node')
    const kids = [...old.children.values()]
    old.detach()
    for (const kid of kids) {
      this.children.set(kid.name, kid)
      kid.parent = this
    }
    this.attach(parent)
  }

  /** Makes this folder node part of `fsParent`'s tree: it resolves through it (npm's fsParent). */
  attachFs(fsParent: Node): void {
    this.fsParent = fsParent
    fsParent.fsChildren.add(this)
    this.#inventory = undefined
    this.root.#inventory?.add(this)
  }

  /**
   * Makes folder node `node` part of this project root's tree: inside the project, under the deepest
   * folder node whose folder holds it (the root's, else); outside, as an outside node.
   */
  attachFolder(node: Node): void {
    const path = node.fsPath ?? ''
    if (path === '..' || path.startsWith('../')) {
      node.attachOutside(this)
      return
    }
    let fsParent: Node = this
    const walk = (folder: Node) => {
      for (const kid of folder.fsChildren) {
        if (kid !== node && path.startsWith(`${kid.fsPath}/`)) {
          fsParent = kid
          walk(kid)
          return
        }
      }
    }
    walk(this)
    node.attachFs(fsParent)
  }

  /** Makes this folder node outside the project part of `root`'s tree (resolving nothing through it). */
  attachOutside(root: Node): void {
    this.outsideRoot = root
    root.outsideNodes.add(this)
    this.#inventory = undefined
    root.#inventory?.add(this)
  }

  /** Removes this node and its subtree from its tree. */
  detach(): void {
    if (this.outsideRoot) {
      const root = this.outsideRoot
      root.#inventory?.remove(this)
      root.outsideNodes.delete(this)
      this.outsideRoot = null
      this.#inventory = undefined
      return
    }
    if (this.fsParent) {
      const fsParent = this.fsParent
      fsParent.root.#inventory?.remove(this)
      fsParent.fsChildren.delete(this)
      this.fsParent = null
      this.#inventory = undefined
      return
    }
    const parent = this.parent
    if (!parent) return
    parent.root.#inventory?.remove(this)
    if (parent.children.get(this.name) === this) parent.children.delete(this.name)
    this.parent = null
    this.#inventory = undefined
  }
}
