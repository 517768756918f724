import type { Edge } from './_edge.js'
import type { Node } from './_tree.js'

// Walks over the tree that npm's placement rules are written in terms of.

/** npm's gather-dep-set: `set` plus its dependencies, less those depended on from outside the set. */
export function gatherDepSet(set: Iterable<Node>, edgeFilter: (edge: Edge) => boolean): Set<Node> {
  const deps = new Set(set)
  for (const node of deps) {
    for (const edge of node.edgesOut.values()) {
      const to = edge.to
      if (to && edgeFilter(edge)) deps.add(to)
    }
  }
  let changed = true
  while (changed && deps.size > 0) {
    changed = false
    for (const dep of deps) {
      for (const edge of dep.edgesIn) {
        if (!deps.has(edge.from) && edgeFilter(edge)) {
          changed = true
          deps.delete(dep)
          break
        }
      }
    }
  }
  return deps
}

/** The shallowest place a dependency `name` of `start` may go without passing a node that peer-depends on it. */
export function deepestNestingTarget(start: Node, name: string): Node {
  for (const target of start.ancestry()) {
    if (target.isProjectRoot || !target.parent) return target
    const targetEdge = target.edgesOut.get(name)
    if (!targetEdge?.peer) return target
  }
  return start.root
}

/** npm's peer-entry-sets: the peer groups `node` belongs to, keyed by the edge that brought each in. */
export function peerEntrySets(node: Node): Map<Edge, Set<Node>> {
  const unionSet = new Set([node])
  for (const member of unionSet) {
    for (const edge of member.edgesOut.values()) {
      const to = edge.to
      if (edge.valid && edge.peer && to) unionSet.add(to)
    }
    for (const edge of member.edgesIn) if (edge.valid && edge.peer) unionSet.add(edge.from)
  }
  const entrySets = new Map<Edge, Set<Node>>()
  for (const peer of unionSet) {
    for (const edge of peer.edgesIn) {
      if (!edge.valid) continue
      if (!edge.peer || edge.from.isTop) {
        const sub = new Set([peer])
        for (const member of sub) {
          for (const out of member.edgesOut.values()) {
            const to = out.to
            if (out.valid && out.peer && to) sub.add(to)
          }
        }
        if (sub.has(node)) entrySets.set(edge, sub)
      }
    }
  }
  return entrySets
}
