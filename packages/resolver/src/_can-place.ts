import type { Edge } from './_edge.js'
import { gte } from './_semver.js'
import type { Node } from './_tree.js'
import { deepestNestingTarget, peerEntrySets } from './_walks.js'

// "Can this dependency go in this folder?" — npm's CanPlaceDep decision, read-only on the tree:
// OK (free), KEEP (what is there already serves), REPLACE (what is there can be swapped for it),
// CONFLICT (not here). A dependency's peers must fit at the same place or above.

export type Decision = 'OK' | 'KEEP' | 'REPLACE' | 'CONFLICT'

export class CanPlaceDep {
  readonly canPlace: Decision
  canPlaceSelf: Decision | null = null
  readonly children: CanPlaceDep[] = []
  readonly current: Node | undefined
  readonly targetEdge: Edge | undefined
  readonly preferDedupe: boolean
  /** The dependency was already bent to fit a peer (it does not satisfy its own edge). */
  readonly edgeOverride: boolean
  #peersResult: Decision | undefined

  constructor(
    readonly dep: Node,
    readonly target: Node,
    readonly edge: Edge,
    preferDedupe: boolean,
    readonly parent: CanPlaceDep | null = null,
    readonly peerPath: Node[] = [],
    /** The user named this dependency: what is there is replaced even when it fits (npm's explicitRequest). */
    readonly explicitRequest = false,
  ) {
    // peers are always deduped when possible: they try harder to be singletons
    this.preferDedupe = preferDedupe || edge.peer
    this.current = target.children.get(edge.name)
    this.targetEdge = target.edgesOut.get(edge.name)
    this.edgeOverride = !dep.satisfies(edge)
    this.canPlace = this.#check()
    this.canPlaceSelf ??= this.canPlace
  }

  #check(): Decision {
    const { target, targetEdge, current, dep } = this
    if (dep.error) return current ? 'REPLACE' : 'OK'
    // peers cannot be nested inside their dependents, except at the top
    if (targetEdge?.peer && !target.isTop) return 'CONFLICT'
    if (!current && targetEdge && !dep.satisfies(targetEdge) && targetEdge !== this.edge) return 'CONFLICT'
    return current ? this.#checkCurrent(current) : this.#checkNoCurrent()
  }

  #checkCurrent(current: Node): Decision {
    const { preferDedupe, target, edge, dep } = this
    if (dep.matches(current) && (current.satisfies(edge) || this.edgeOverride)) {
      return this.explicitRequest ? 'REPLACE' : 'KEEP'
    }
    const tryReplace = gte(dep.version, current.version)
    if (tryReplace && dep.canReplace(current)) {
      const peers = this.canPlacePeers('REPLACE')
      if (peers !== 'CONFLICT') return peers
    }
    if (current.satisfies(edge) && (!this.explicitRequest || preferDedupe)) return 'KEEP'
    if (preferDedupe && !tryReplace && dep.canReplace(current)) {
      const peers = this.canPlacePeers('REPLACE')
      if (peers !== 'CONFLICT') return peers
    }
    // The deepest place this can go, and the current one could go deeper: replace it here and let
    // it be re-placed further down.
    if (target !== this.deepestNestingTarget) return 'CONFLICT'
    if (!edge.peer && target === edge.from) return this.canPlacePeers('REPLACE')
    if (!this.parent && !edge.peer) return 'CONFLICT'

    const virtualRoot = dep.parent
    let canReplace = true
    for (const [entryEdge, currentPeers] of peerEntrySets(current)) {
      if (entryEdge === this.edge || entryEdge === this.peerEntryEdge) continue
      const entryNode = entryEdge.to
      if (!entryNode || !virtualRoot) continue
      const entryRep = virtualRoot.children.get(entryNode.name)
      if (entryRep?.canReplace(entryNode, virtualRoot.children.keys())) continue
      let canClobber = !entryRep
      if (!entryRep) {
        const walk = new Set([entryNode])
        outer: for (const currentPeer of walk) {
          for (const peerEdge of currentPeer.edgesOut.values()) {
            if (!peerEdge.peer || !peerEdge.valid) continue
            const rep = virtualRoot.children.get(peerEdge.name)
            if (!rep) {
              const to = peerEdge.to
              if (to) walk.add(to)
              continue
            }
            if (!rep.satisfies(peerEdge)) {
              canClobber = false
              break outer
            }
          }
        }
      }
      if (canClobber) continue
      // cannot replace that peer set: can it be nested deeper instead?
      for (const currentPeer of currentPeers) {
        const curDeep = deepestNestingTarget(entryEdge.from, currentPeer.name)
        if (curDeep === target || target.isDescendantOf(curDeep)) {
          canReplace = false
          break
        }
      }
    }
    return canReplace ? this.canPlacePeers('REPLACE') : 'CONFLICT'
  }

  #checkNoCurrent(): Decision {
    const { target, dep } = this
    // Something above may be what dependants inside this folder resolve to now; placing here would
    // shadow it, so every such dependant must be happy with the new one.
    const current = target !== this.peerEntryEdge.from ? target.resolve(this.edge.name) : null
    if (current) {
      for (const edge of current.edgesIn) {
        if (edge.from.isDescendantOf(target) && edge.valid && !dep.satisfies(edge)) return 'CONFLICT'
      }
    }
    return this.canPlacePeers('OK')
  }

  get deepestNestingTarget(): Node {
    const start = this.parent ? this.parent.deepestNestingTarget : this.edge.from
    return deepestNestingTarget(start, this.edge.name)
  }

  get top(): CanPlaceDep {
    return this.parent ? this.parent.top : this
  }

  get peerEntryEdge(): Edge {
    return this.top.edge
  }

  /** `state` if every peer of the dependency can go at or above the target, else CONFLICT. */
  canPlacePeers(state: Decision): Decision {
    this.canPlaceSelf = state
    if (this.#peersResult) return this.#peersResult
    const peerPath = [...this.peerPath, this.dep]
    let sawConflict = false
    for (const peerEdge of this.dep.edgesOut.values()) {
      if (!peerEdge.peer) continue
      const peer = peerEdge.to
      if (!peer || peerPath.includes(peer)) continue
      const target = deepestNestingTarget(this.target, peer.name)
      const check = new CanPlaceDep(peer, target, peerEdge, true, this, peerPath)
      this.children.push(check)
      if (check.canPlace === 'CONFLICT') sawConflict = true
    }
    this.#peersResult = sawConflict ? 'CONFLICT' : state
    return this.#peersResult
  }
}
