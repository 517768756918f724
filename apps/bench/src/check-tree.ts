// check-tree: walks a project's node_modules the way Node resolves packages and checks that every
// dependency of every installed package is found and satisfies its range. Independent of any
// package manager's own report, so the same check runs on tote's, npm's, pnpm's, bun's trees.
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'
import semver from 'semver'

export interface TreeProblem {
  /** The package folder that wants the dependency. */
  from: string
  name: string
  range: string
  kind: 'missing' | 'invalid'
  /** The version found, for `invalid`. */
  found?: string
}

export interface TreeReport {
  packages: number
  edges: number
  problems: TreeProblem[]
}

interface Manifest {
  name?: string
  version?: string
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
}

function readManifest(dir: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest
  } catch {
    return undefined
  }
}

/** Package folders under one node_modules (scoped ones included), not descending. */
function packagesIn(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return []
  const result: string[] = []
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue
    const path = join(nodeModules, entry.name)
    if (entry.name.startsWith('@') && entry.isDirectory()) {
      for (const inner of readdirSync(path)) if (!inner.startsWith('.')) result.push(join(path, inner))
    } else result.push(path)
  }
  return result
}

/** Node's lookup: the dependency's folder in the nearest node_modules walking up from `from`. */
function resolveFrom(from: string, name: string, root: string): string | undefined {
  let dir = from
  for (;;) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    if (dir === root || dirname(dir) === dir) return undefined
    dir = dirname(dir)
  }
}

/** The range inside an `npm:` alias spec, and the real name. */
function targetOf(name: string, spec: string): { name: string; range: string } {
  if (spec.startsWith('npm:')) {
    const rest = spec.slice(4)
    const at = rest.lastIndexOf('@')
    return at > 0 ? { name: rest.slice(0, at), range: rest.slice(at + 1) } : { name: rest, range: '*' }
  }
  return { name, range: spec }
}

export function checkTree(projectDir: string): TreeReport {
  const root = realpathSync(projectDir)
  const report: TreeReport = { packages: 0, edges: 0, problems: [] }
  const seen = new Set<string>()
  const queue = [root]
  while (queue.length > 0) {
    const dir = queue.pop()!
    const real = realpathSync(dir)
    if (seen.has(real)) continue
    seen.add(real)
    const manifest = readManifest(dir)
    if (!manifest) continue
    if (dir !== root) report.packages++
    const optional = new Set(Object.keys(manifest.optionalDependencies ?? {}))
    const wanted: [string, string, boolean][] = []
    const deps = { ...manifest.dependencies, ...manifest.optionalDependencies }
    for (const [name, spec] of Object.entries(deps)) wanted.push([name, spec, optional.has(name)])
    for (const [name, spec] of Object.entries(manifest.peerDependencies ?? {})) {
      wanted.push([name, spec, manifest.peerDependenciesMeta?.[name]?.optional === true])
    }
    if (dir === root) {
      const project = manifest as Manifest & { devDependencies?: Record<string, string> }
      for (const [name, spec] of Object.entries(project.devDependencies ?? {}))
        wanted.push([name, spec, false])
    }
    for (const [name, spec, isOptional] of wanted) {
      report.edges++
      const found = resolveFrom(real, name, root) ?? resolveFrom(dir, name, root)
      const target = targetOf(name, spec)
      if (!found) {
        if (!isOptional) report.problems.push({ from: dir, name, range: spec, kind: 'missing' })
        continue
      }
      const version = readManifest(found)?.version
      const range = target.range === '' || target.range === 'latest' ? '*' : target.range
      if (
        semver.validRange(range) &&
        (!version || !semver.satisfies(version, range, { includePrerelease: true }))
      ) {
        report.problems.push({
          from: dir,
          name,
          range: spec,
          kind: 'invalid',
          ...(version ? { found: version } : {}),
        })
      }
    }
    for (const child of packagesIn(join(dir, 'node_modules'))) queue.push(child)
  }
  return report
}
