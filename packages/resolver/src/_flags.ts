import type { Node } from './_tree.js'

/**
 * npm's dependency flags. Every node starts as dev, optional, devOptional, peer and extraneous; walking
 * edges out from the root unsets them: a node reached through a non-dev edge from a non-dev node is
 * not dev, and likewise for optional and peer; devOptional is unset only through edges that are
 * neither dev nor optional from nodes that are none of the three. A node left both devOptional and
 * dev (or optional) is reported as the narrower one.
 */
export function calcDepFlags(root: Node, nodes: Iterable<Node>): void {
  for (const node of nodes) {
    node.dev = node.optional = node.devOptional = node.peer = node.extraneous = true
  }
  root.dev = root.optional = root.devOptional = root.peer = root.extraneous = false
  const seen = new Set<Node>()
  const queue: Node[] = [root]
  for (let node = queue.pop(); node; node = queue.pop()) {
    seen.add(node)
    // a folder holding something needed is not extraneous either (npm)
    if (!node.extraneous) {
      for (let up = node.resolveParent; up?.extraneous; up = up.resolveParent) up.extraneous = false
    }
    if (node.linkTarget) {
      const target = node.linkTarget
      let changed = false
      for (const flag of ['dev', 'optional', 'devOptional', 'peer', 'extraneous'] as const) {
        if (target[flag] && !node[flag]) {
          target[flag] = false
          changed = true
        }
      }
      if (changed || !seen.has(target)) queue.push(target)
      continue
    }
    for (const edge of node.edgesOut.values()) {
      const to = edge.to
      if (!to) continue
      let changed = false
      if (to.extraneous && !node.extraneous && !(edge.peer && edge.optional)) {
        to.extraneous = false
        changed = true
      }
      if (to.dev && !node.dev && !edge.dev) {
        to.dev = false
        changed = true
      }
      if (to.optional && !node.optional && !edge.optional) {
        to.optional = false
        changed = true
      }
      if (to.devOptional && !node.devOptional && !node.dev && !node.optional && !edge.dev && !edge.optional) {
        to.devOptional = false
        changed = true
      }
      if (to.peer && !node.peer && !edge.peer) {
        to.peer = false
        changed = true
      }
      if (changed) queue.push(to)
    }
  }
  for (const node of seen) {
    if (node !== root && node.devOptional && (node.dev || node.optional)) node.devOptional = false
  }
}
