import { ToteError } from '@tote/types'
import type { Edge } from './_edge.js'
import type { Node } from './_tree.js'

// The error npm calls ERESOLVE: a peer dependency that cannot be met, in a place where npm refuses to
// go on. It names both sides: what the tree has (and who wanted that), and who wants another version.

export interface PeerConflict {
  /** The dependency that cannot be met. */
  edge: Edge
  /** What the tree (or the peer set being loaded) has under that name, if anything. */
  current: Node | null
  /** The edge `current` is there for, when it is not known from the node (npm's `currentEdge`). */
  currentEdge?: Edge | undefined
  force: boolean
  strictPeerDeps: boolean
}

export function peerConflictError({
  edge,
  current,
  currentEdge,
  force,
  strictPeerDeps,
}: PeerConflict): ToteError {
  const wanted = edgeChain(edge)
  const foundEdge = current ? (current.placedBy ?? current.edgesIn.find((e) => e !== edge)) : currentEdge
  const found = foundEdge ? edgeChain(foundEdge) : undefined
  const what = current ? `${current.packageName}@${current.version}` : `${foundEdge?.name}@${foundEdge?.spec}`
  const lines = [`Conflicting peer dependency: ${edge.name}`]
  if (current || foundEdge) lines.push(`  found:  ${what}${found ? `, for ${found.join(' → ')}` : ''}`)
  lines.push(`  wanted: ${wanted.join(' → ')}`)
  const flags = [...(strictPeerDeps ? ['--no-strict-peer-deps (only the project’s own conflicts stop)'] : [])]
  flags.push('--legacy-peer-deps (ignore peers)', '--force (accept a broken tree)')
  const last = flags.pop()
  return new ToteError('ERESOLVE', lines.join('\n'), {
    hint: `Fix the versions in package.json, or run with ${flags.join(', ')} or ${last}, as with npm.`,
    details: {
      name: edge.name,
      found: current
        ? { name: current.packageName, version: current.version, chain: found }
        : { chain: found },
      wanted: { spec: edge.spec, chain: wanted },
      force,
      strictPeerDeps,
    },
  })
}

/**
 * `root`, then each package on the way (`peer ` before those reached through a peer dependency), then
 * the dependency as declared: `['root', 'a@1.0.0', 'peer x@^1']`. Virtual roots stand for the node
 * whose dependencies they copy.
 */
export function edgeChain(edge: Edge): string[] {
  const mark = (e: Edge | undefined) => (e?.peer ? 'peer ' : '')
  const chain: string[] = [`${mark(edge)}${edge.name}@${edge.spec}`]
  let node: Node | undefined = edge.from
  for (let guard = 0; node && guard < 64; guard++) {
    if (node.isTop && node.sourceReference) node = node.sourceReference
    if (node.isProjectRoot) break
    const by: Edge | undefined = node.placedBy ?? node.edgesIn[0]
    chain.unshift(`${mark(by)}${node.packageName}@${node.version}`)
    node = by?.from
  }
  chain.unshift('root')
  return chain
}
