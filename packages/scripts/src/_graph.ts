import type { Lockfile, LockfilePackage } from '@tote/types'
import { aliasTarget, isRegistrySpec } from './_spec.js'
import type { GraphPackage } from './types.js'

/** Where `name` resolves from the package at `from`, as Node looks it up (nearest node_modules up). */
export function resolveFrom(packages: Lockfile['packages'], from: string, name: string): string | undefined {
  let base = from
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`
    if (packages[candidate]) return candidate
    if (base === '') return undefined
    const cut = base.lastIndexOf('/node_modules/')
    base = cut === -1 ? '' : base.slice(0, cut)
  }
}

function edgesOf(entry: LockfilePackage, root: boolean): [string, string][] {
  const maps = [entry.dependencies, entry.optionalDependencies, entry.peerDependencies]
  if (root) maps.push(entry.devDependencies)
  const edges: [string, string][] = []
  for (const map of maps) for (const [name, spec] of Object.entries(map ?? {})) edges.push([name, spec])
  return edges
}

/**
 * The packages of a lockfile with their dependency edges resolved to install paths, and what the
 * allowScripts policy needs of each: its `resolved`, whether every edge into it is a registry
 * spec (npm's isRegistryDependency), and the name its dependents ask for.
 */
export function lockfileGraph(lockfile: Lockfile): Map<string, GraphPackage> {
  const { packages } = lockfile
  const graph = new Map<string, GraphPackage>()
  const edgesIn = new Map<string, { name: string; spec: string }[]>()
  for (const [path, entry] of Object.entries(packages)) {
    if (path !== '' && !path.includes('node_modules/')) continue
    const dependencies: string[] = []
    for (const [name, spec] of edgesOf(entry, path === '')) {
      const target = resolveFrom(packages, path, name)
      if (target === undefined) continue
      if (!edgesIn.has(target)) edgesIn.set(target, [])
      edgesIn.get(target)!.push({ name, spec })
      if (target !== path) dependencies.push(target)
    }
    if (path === '') continue
    graph.set(path, {
      path,
      dependencies,
      policy: {
        path,
        resolved: entry.resolved,
        registry: false,
        ...(entry.inBundle ? { inBundle: true } : {}),
      },
      dev: entry.dev === true,
      optional: entry.optional === true,
      devOptional: entry.devOptional === true,
      peer: entry.peer === true,
    })
  }
  // What the policy needs of the edges into a package is worked out when it is first asked for:
  // parsing every spec of a large lockfile costs seconds (2.2 s of CPU for ant-design's 3,900
  // packages), and an install asks only about the few packages it placed that have scripts.
  for (const [path, pkg] of graph) {
    const edges = edgesIn.get(path) ?? []
    let known: { registry: boolean; edgeName: string | undefined } | undefined
    const edgePolicy = () => (known ??= policyOfEdges(edges))
    Object.defineProperties(pkg.policy, {
      registry: { get: () => edgePolicy().registry, enumerable: true, configurable: true },
      edgeName: { get: () => edgePolicy().edgeName, enumerable: true, configurable: true },
    })
  }
  return graph
}

/**
 * npm's isRegistryDependency (every edge into the package a registry spec), and the name its
 * dependents ask for: the real name behind the first `npm:` alias, else the first registry edge's.
 */
function policyOfEdges(edges: readonly { name: string; spec: string }[]): {
  registry: boolean
  edgeName: string | undefined
} {
  const registry = edges.length > 0 && edges.every((edge) => isRegistrySpec(edge.name, edge.spec))
  for (const edge of edges) {
    const alias = aliasTarget(edge.spec)
    if (alias !== undefined) return { registry, edgeName: alias }
    if (isRegistrySpec(edge.name, edge.spec)) return { registry, edgeName: edge.name }
  }
  return { registry, edgeName: undefined }
}

/** npm's node order: shallower first, then by path (`en` collation). */
function compareNodes(a: string, b: string): number {
  const depth = (path: string) => path.split('node_modules/').length
  return depth(a) - depth(b) || a.localeCompare(b, 'en')
}

/**
 * For each of `building` (install paths with scripts to run), the others whose scripts must end
 * before its own start: those it depends on, directly or through packages without scripts. Inside
 * a dependency cycle, the shallower (then first by path) goes first, so the order never deadlocks.
 */
export function buildOrder(
  graph: Map<string, GraphPackage>,
  building: Iterable<string>,
): Map<string, string[]> {
  const targets = new Set(building)
  const reach = new Map<string, Set<string>>()
  for (const start of targets) {
    const seen = new Set<string>([start])
    const found = new Set<string>()
    const stack = [...(graph.get(start)?.dependencies ?? [])]
    while (stack.length > 0) {
      const path = stack.pop()!
      if (seen.has(path)) continue
      seen.add(path)
      if (targets.has(path)) found.add(path)
      stack.push(...(graph.get(path)?.dependencies ?? []))
    }
    reach.set(start, found)
  }
  const order = new Map<string, string[]>()
  for (const path of targets) {
    const after = [...reach.get(path)!].filter(
      (other) => !reach.get(other)!.has(path) || compareNodes(other, path) < 0,
    )
    order.set(path, after.sort(compareNodes))
  }
  return order
}

export { compareNodes }
