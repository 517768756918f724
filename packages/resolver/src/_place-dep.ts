import { CanPlaceDep } from './_can-place.js'
import type { Edge } from './_edge.js'
import { peerConflictError } from './_eresolve.js'
import { Node } from './_tree.js'
import { deepestNestingTarget, gatherDepSet, peerEntrySets } from './_walks.js'

// Placing one dependency (and the peers that come with it) in the tree, as npm's PlaceDep does:
// walk from the dependant's folder up toward the root, take the highest folder that does not
// conflict, then tidy up what the placement made redundant or invalid.

export interface PlaceOptions {
  preferDedupe: boolean
  compare: (a: string, b: string) => number
  /** npm's `force`: a dependency no folder can take is left out (or kept as it is), never fatal. */
  force: boolean
  /** npm's `strict-peer-deps`: such a dependency is fatal wherever it comes from, not only from the project. */
  strictPeerDeps: boolean
  /** A peer dependency could not be met as declared. */
  onPeerConflict: (edge: Edge, dep: Node) => void
  /** The user named this dependency (`tote add`): what the tree has is replaced even when it fits. */
  explicitRequest?: boolean
  /** Names being updated (`tote update <name>`): never kept just because what is there fits. */
  updateNames?: ReadonlySet<string>
  /**
   * npm's `install-strategy`: `hoisted` (default) places as high as it fits; `nested` in the
   * dependant's own node_modules; `shallow` no higher than under the project's own dependencies.
   */
  installStrategy?: 'hoisted' | 'nested' | 'shallow'
}

export class PlaceDep {
  canPlace: CanPlaceDep | null = null
  canPlaceSelf: CanPlaceDep | null = null
  placed: Node | null = null
  readonly children: PlaceDep[] = []
  /** Nodes whose dependencies must be looked at again (their peer sets were pruned). */
  readonly needEvaluation = new Set<Node>()

  constructor(
    readonly edge: Edge,
    readonly dep: Node,
    readonly options: PlaceOptions,
    readonly parent: PlaceDep | null = null,
  ) {
    this.#place()
  }

  #place(): void {
    const { edge, dep, options } = this
    if (edge.to && edge.valid && !options.explicitRequest && !options.updateNames?.has(edge.name)) return

    for (const target of this.startNode().ancestry()) {
      const targetEdge = target.edgesOut.get(edge.name)
      if (!target.isTop && targetEdge?.peer) continue
      const check = new CanPlaceDep(
        dep,
        target,
        edge,
        options.preferDedupe,
        this.parent?.canPlace ?? null,
        [],
        options.explicitRequest === true,
      )
      if (check.canPlaceSelf !== 'CONFLICT') this.canPlaceSelf = check
      if (check.canPlace === 'CONFLICT') break
      this.canPlace = check
      // a load failure goes in the first place tried: it is pruned or fatal later anyway
      if (dep.error) break
      // install-strategy: nested stops at the first place, shallow below the project's top level
      if (options.installStrategy === 'nested') break
      if (options.installStrategy === 'shallow' && target.resolveParent?.isProjectRoot) break
    }

    if (!this.canPlace) {
      // nowhere to go: npm's ERESOLVE, unless forced, or neither the project's nor strict
      if (!options.force && (this.isMine || options.strictPeerDeps)) throw this.#conflictError()
      // otherwise what is there stays (a CONFLICT taken as a KEEP), or the dependency is left out
      if (!this.canPlaceSelf) {
        options.onPeerConflict(edge, dep)
        return
      }
      this.canPlace = this.canPlaceSelf
    }

    const { target } = this.canPlace
    const placement =
      this.canPlace.canPlace === 'CONFLICT' ? this.canPlace.canPlaceSelf : this.canPlace.canPlace
    if (placement === 'KEEP') {
      if (edge.peer && !edge.valid) options.onPeerConflict(edge, dep)
      this.pruneDedupable(target)
      return
    }

    // a dependency loop (a1 → b1 → a2 → b2 → a1 …): link to the earlier copy instead of nesting forever
    for (let p: Node | null = target; p; p = p.resolveParent) {
      if (!p.isTop && !dep.linkTarget && p.matches(dep)) {
        const link = new Node({ ctx: dep.ctx, name: dep.name, pkg: {}, linkTarget: p })
        link.placedBy = edge
        link.attach(target)
        this.placed = link
        return
      }
    }

    const virtualRoot = dep.parent
    const placed = new Node({
      ctx: dep.ctx,
      name: dep.name,
      pkg: dep.pkg,
      manifest: dep.manifest,
      lockEntry: dep.lockEntry,
      error: dep.error,
      overrides: dep.overrides,
      ...(dep.linkTarget ? { linkTarget: dep.linkTarget } : {}),
    })
    placed.fromSource = dep.fromSource
    placed.placedBy = edge
    // a link's folder joins the tree with it (npm sets the target's root when the link is placed)
    if (placed.linkTarget && placed.linkTarget.root !== target.root)
      target.root.attachFolder(placed.linkTarget)
    this.placed = placed
    const oldDep = target.children.get(edge.name)
    if (oldDep) this.#replaceOldDep(oldDep, placed)
    else placed.attach(target)

    if (edge.peer && !placed.satisfies(edge)) options.onPeerConflict(edge, dep)

    const to = edge.to
    if (edge.valid && to && to !== placed) this.pruneDedupable(to, false)

    // placing here may have made deeper copies redundant
    const root = target.root
    for (const node of [...(root.inventory.nodesByName.get(edge.name) ?? [])]) {
      if (node.root !== root || node.isTop || !node.isDescendantOf(target)) continue
      this.pruneDedupable(node, false)
      if (node.root === root) for (const kid of [...node.children.values()]) this.pruneDedupable(kid, false)
    }

    // and the peers of what was placed come along, from the same virtual root
    for (const peerEdge of placed.edgesOut.values()) {
      if (!peerEdge.peer || peerEdge.peerConflicted || peerEdge.valid) continue
      const peer = virtualRoot?.children.get(peerEdge.name)
      if (!peer?.satisfies(peerEdge)) continue
      this.children.push(new PlaceDep(peerEdge, peer, options, this))
    }
  }

  get top(): PlaceDep {
    return this.parent ? this.parent.top : this
  }

  /**
   * Whether the placement is on the project's behalf (npm's `isMine`): the project asked for it, or
   * it is a peer of a package the project depends on directly or whose peer set it brought in.
   */
  get isMine(): boolean {
    const { edge } = this.top
    const node = edge.from
    if (node.isProjectRoot || node.isWorkspace) return true
    if (!edge.peer) return false
    let hasPeerEdges = false
    for (const edgeIn of node.edgesIn) {
      if (edgeIn.peer) hasPeerEdges = true
      else if (edgeIn.from.isProjectRoot || edgeIn.from.isWorkspace) return true
    }
    if (hasPeerEdges) {
      for (const entryEdge of peerEntrySets(node).keys()) {
        if (entryEdge.from.isProjectRoot || entryEdge.from.isWorkspace) return true
      }
    }
    return false
  }

  /**
   * ERESOLVE: the first peer whose check met a same-name package in the way, else this dependency
   * against what its dependant sees under that name.
   */
  #conflictError(): Error {
    const { force, strictPeerDeps } = this.options
    const self = this.canPlaceSelf
    if (self && self.canPlaceSelf !== 'CONFLICT') {
      for (const peer of allChildren(self)) {
        if (peer.canPlace !== 'CONFLICT' || !peer.current) continue
        return peerConflictError({ edge: peer.edge, current: peer.current, force, strictPeerDeps })
      }
    }
    const { edge } = this
    return peerConflictError({ edge, current: edge.from.resolve(edge.name), force, strictPeerDeps })
  }

  startNode(): Node {
    const from = this.parent ? this.parent.startNode() : this.edge.from
    return deepestNestingTarget(from, this.edge.name)
  }

  #replaceOldDep(oldDep: Node, placed: Node): void {
    const target = oldDep.parent!
    // what only the old node needed goes with it
    const oldDeps: Node[] = []
    for (const [name, edge] of oldDep.edgesOut) {
      const to = edge.to
      if (!placed.edgesOut.has(name) && to) oldDeps.push(...gatherDepSet([to], (e) => e.to !== to))
    }
    // peer sets at this level that the new node no longer serves are pruned and re-placed
    const prunePeerSets: Node[] = []
    for (const edge of oldDep.edgesIn) {
      if (placed.satisfies(edge) || !edge.peer || edge.from.parent !== target || edge.peerConflicted) continue
      for (const entryEdge of peerEntrySets(edge.from).keys()) {
        const entryNode = entryEdge.to
        if (!entryNode) continue
        if (entryNode !== target && !(entryEdge.from.isProjectRoot || entryEdge.from.isWorkspace)) {
          prunePeerSets.push(...gatherDepSet([entryNode], (e) => e.to !== entryNode && !e.peerConflicted))
        } else {
          edge.peerConflicted = true
          this.options.onPeerConflict(edge, this.dep)
        }
      }
    }
    placed.replace(oldDep)
    this.#pruneForReplacement(placed, oldDeps)
    for (const node of prunePeerSets) {
      for (const edge of node.edgesIn) this.needEvaluation.add(edge.from)
      node.detach()
    }
  }

  #pruneForReplacement(node: Node, oldDeps: Node[]): void {
    const invalidDeps = new Set<Node>()
    for (const edge of node.edgesOut.values()) {
      const to = edge.to
      if (to && !edge.valid) invalidDeps.add(to)
    }
    for (const dep of oldDeps) {
      for (const d of gatherDepSet([dep], (e) => e.to !== dep && e.valid)) invalidDeps.add(d)
    }
    const junk = gatherDepSet(invalidDeps, (e) => e.from !== node && e.to !== node && e.valid)
    for (const dep of junk) dep.detach()
  }

  /** Removes `node` when a same-name node higher up serves all its dependants (npm's basic dedupe). */
  pruneDedupable(node: Node, descend = true): void {
    if (node.canDedupe(this.options.preferDedupe)) {
      for (const dep of gatherDepSet([node], (e) => e.to !== node && e.valid)) dep.detach()
      return
    }
    if (descend) {
      const kids = [...node.children.values()].sort((a, b) => this.options.compare(a.location, b.location))
      for (const kid of kids) this.pruneDedupable(kid)
    }
  }
}

/** Every check below `check`, breadth first (npm's `allChildren`). */
function allChildren(check: CanPlaceDep): CanPlaceDep[] {
  const set = new Set(check.children)
  for (const child of set) for (const grandchild of child.children) set.add(grandchild)
  return [...set]
}
