import type { LockfilePackage, PackageManifest, ProjectManifest } from '@tote/types'
import { Edge } from './_edge.js'
import type { OverrideSet } from './_overrides.js'
import { gte } from './_semver.js'
import { gatherDepSet } from './_walks.js'

// The node_modules tree being built, modelled on npm's Arborist: nodes placed in folders, and edges
// (one per declared dependency) that resolve by walking up node_modules folders.

export type EdgeType = 'prod' | 'dev' | 'optional' | 'peer' | 'peerOptional'

/** Settings every node needs to compute its edges. */
export interface TreeContext {
  legacyPeerDeps: boolean
  rootPkg: ProjectManifest
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

/** Nodes and edges of one tree (the project's, or a virtual root's), by name. */
class Inventory {
  readonly edgesByName = new Map<string, Set<Edge>>()
  readonly nodesByName = new Map<string, Set<Node>>()

  add(node: Node): void {
    addTo(this.nodesByName, node.name, node)
    for (const edge of node.edgesOut.values()) addTo(this.edgesByName, edge.name, edge)
    for (const kid of node.children.values()) this.add(kid)
  }

  remove(node: Node): void {
    this.nodesByName.get(node.name)?.delete(node)
    for (const edge of node.edgesOut.values()) this.edgesByName.get(edge.name)?.delete(edge)
    for (const kid of node.children.values()) this.remove(kid)
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
  /** For a virtual root: the node whose dependencies it copies. */
  readonly sourceReference: Node | undefined
  /** For a link (npm's answer to a dependency loop): the node it points to. */
  readonly linkTarget: Node | undefined
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
    if (this.isProjectRoot || this.sourceReference?.isProjectRoot) {
      for (const [name, spec] of Object.entries(pkg.devDependencies ?? {})) this.#addEdge(name, spec, 'dev')
    }
  }

  #addEdge(name: string, rawSpec: string, type: EdgeType): void {
    if (typeof rawSpec !== 'string') return
    const rule = this.overrides?.edgeRule(name, rawSpec)
    // A later type replaces an earlier one and keeps its position, as a Map set does in npm.
    this.edgesOut.set(name, new Edge(this, name, rawSpec, type, rule))
  }

  get root(): Node {
    let node: Node = this
    while (node.parent) node = node.parent
    return node
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

  /** Install path: `node_modules/a/node_modules/b`, `""` for a top node. */
  get location(): string {
    if (!this.parent) return ''
    const parentLocation = this.parent.location
    return (parentLocation ? `${parentLocation}/` : '') + `node_modules/${this.name}`
  }

  *ancestry(): Generator<Node> {
    for (let node: Node | null = this; node; node = node.parent) yield node
  }

  resolve(name: string): Node | null {
    for (let node: Node | null = this; node; node = node.parent) {
      const child = node.children.get(name)
      if (child) return child
    }
    return null
  }

  isDescendantOf(ancestor: Node): boolean {
    for (let node: Node | null = this; node; node = node.parent) if (node === ancestor) return true
    return false
  }

  satisfies(edge: Edge): boolean {
    return edge.satisfiedBy(this)
  }

  /** Same package and version (npm's `matches`). */
  matches(other: Node): boolean {
    if (other === this) return true
    if (this.error || other.error) return false
    return this.packageName === other.packageName && this.version === other.version
  }

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

  /** npm's `canDedupe`: an ancestor's node of the same name would serve every dependant as well. */
  canDedupe(preferDedupe: boolean): boolean {
    const grandparent = this.parent?.parent
    if (!this.parent || !grandparent) return false
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

  /** Removes this node and its subtree from its tree. */
  detach(): void {
    const parent = this.parent
    if (!parent) return
    parent.root.#inventory?.remove(this)
    if (parent.children.get(this.name) === this) parent.children.delete(this.name)
    this.parent = null
    this.#inventory = undefined
  }
}
