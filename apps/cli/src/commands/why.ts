import { loadConfig } from '@tote/config'
import { readProjectManifest } from '@tote/lockfile'
import { specAccepts } from '@tote/package-json'
import { ToteError } from '@tote/types'
import type { CommandContext } from '../_command-types.js'
import { chosenRootEdges, type InstalledEdge, type InstalledNode, loadInstalledTree } from '../_installed.js'
import { configFlags } from '../_options.js'
import { chosenFolders, workspacesChosen } from './run.js'

// `tote why <name>` (explain): npm explain. Every installed copy of the package, each with the chain
// of dependencies that leads to it from the project, and the spec on each edge.

const compare = new Intl.Collator('en').compare

function flags(node: InstalledNode): string[] {
  return (['extraneous', 'dev', 'optional', 'peer'] as const).filter((flag) => node[flag])
}

function edgeType(edge: InstalledEdge): string {
  return edge.type
}

/** npm's `name@version dev\nlocation`. */
function printNode(node: InstalledNode): string {
  const extra = flags(node)
    .map((flag) => ` ${flag}`)
    .join('')
  return `${node.name}@${node.version ?? ''}${extra}${node.location ? `\n${node.location}` : ''}`
}

function explainNode(node: InstalledNode, seen: Set<InstalledNode>): string {
  return printNode(node) + explainDependents(node, seen)
}

function dependentsOf(node: InstalledNode): InstalledEdge[] {
  // npm leaves out an invalid edge (it does not hold the package there) unless the project's; tote
  // lists the project's edge first, then the rest by dependant's location
  return [...node.edgesIn]
    .filter((edge) => edge.valid || edge.from.isRoot)
    .sort(
      (a, b) =>
        Number(!a.from.isRoot) - Number(!b.from.isRoot) ||
        compare(a.from.location, b.from.location) ||
        compare(a.name, b.name),
    )
}

function explainDependents(node: InstalledNode, seen: Set<InstalledNode>): string {
  const dependents = dependentsOf(node)
  if (dependents.length === 0) return ''
  const text = `\n${dependents.map((edge) => explainEdge(edge, seen)).join('\n')}`
  return text.split('\n').join('\n  ')
}

function explainEdge(edge: InstalledEdge, seen: Set<InstalledNode>): string {
  const type = edgeType(edge)
  if (type === 'workspace') return `workspace ${edge.spec} from ${explainFrom(edge.from, seen)}`
  return `${type === 'prod' ? '' : `${type} `}${edge.name}@"${edge.spec}" from ${explainFrom(edge.from, seen)}`
}

function explainFrom(from: InstalledNode, seen: Set<InstalledNode>): string {
  if (from.isRoot) return 'the root project'
  if (seen.has(from)) return printNode(from)
  seen.add(from)
  const text = printNode(from) + explainDependents(from, seen)
  seen.delete(from)
  return text
}

/** npm explain --json: the node, each edge into it with its dependant explained the same way, then its flags. */
function explainJson(
  node: InstalledNode,
  seen: Set<InstalledNode>,
  projectDir: string,
): Record<string, unknown> {
  const json: Record<string, unknown> = { name: node.name, version: node.version }
  if (seen.has(node)) return json
  json.location = node.location
  json.isWorkspace = false
  const inner = new Set([...seen, node])
  json.dependents = dependentsOf(node).map((edge) => ({
    type: edge.type,
    name: edge.name,
    spec: edge.spec,
    ...(edge.valid ? {} : { error: 'INVALID' }),
    from: edge.from.isRoot ? { location: projectDir } : explainJson(edge.from, inner, projectDir),
  }))
  return json
}

/** What npm explain adds to each copy it lists: its flags (extraneous alone, when it is). */
function withFlags(node: InstalledNode, json: Record<string, unknown>): Record<string, unknown> {
  if (node.extraneous) return { ...json, extraneous: true }
  const devOptional = !node.dev && !node.optional && node.entry.devOptional === true
  return { ...json, dev: node.dev, optional: node.optional, devOptional, peer: node.peer }
}

export async function run(context: CommandContext): Promise<number> {
  if (context.positionals.length === 0) {
    throw new ToteError('EUSAGE', 'tote why needs the name of a package.', {
      hint: 'Run `tote why <name>` (or <name>@<range>).',
      details: { usage: true },
    })
  }
  // the project folder as npm finds it (the nearest package.json up from here, or --prefix)
  const config = await loadConfig({ cwd: context.cwd, flags: configFlags(context) })
  const projectDir = config.projectDir
  const { manifest } = await readProjectManifest(projectDir)
  const tree = await loadInstalledTree(projectDir, manifest)
  // npm explain -w: only the copies that the chosen workspaces (or the project) lead to
  const reachable = workspacesChosen(config)
    ? reachableFrom(chosenRootEdges(tree.root, await chosenFolders(config, manifest, context.cwd)))
    : undefined
  const found: InstalledNode[] = []
  for (const arg of context.positionals) {
    const at = arg.indexOf('@', arg.startsWith('@') ? 1 : 0)
    const name = at === -1 ? arg : arg.slice(0, at)
    const range = at === -1 ? '*' : arg.slice(at + 1) || '*'
    const matches = [...tree.nodes.values()]
      .filter(
        (node) =>
          (node.name === name || node.packageName === name || node.location === arg) &&
          (reachable === undefined || reachable.has(node)) &&
          node.version !== undefined &&
          specAccepts(range, node.packageName, { name: node.packageName, version: node.version }),
      )
      .sort((a, b) => compare(a.location, b.location))
    if (matches.length === 0) {
      throw new ToteError('ENOMATCH', `No installed package matches ${JSON.stringify(arg)}`, {
        hint: 'Run `tote ls --all` to see what is installed, or `tote install` if node_modules is missing.',
        details: { spec: arg },
      })
    }
    for (const node of matches) if (!found.includes(node)) found.push(node)
  }
  if (context.values.json === true) {
    const list = found.map((node) => withFlags(node, explainJson(node, new Set(), projectDir)))
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`)
  } else {
    process.stdout.write(`${found.map((node) => explainNode(node, new Set([node]))).join('\n\n')}\n`)
  }
  return 0
}

/** Every package the edges lead to, directly or not. */
function reachableFrom(edges: readonly InstalledEdge[]): Set<InstalledNode> {
  const seen = new Set<InstalledNode>()
  const queue = edges.flatMap((edge) => (edge.to ? [edge.to] : []))
  for (let node = queue.pop(); node; node = queue.pop()) {
    if (seen.has(node)) continue
    seen.add(node)
    for (const edge of node.edgesOut) if (edge.to) queue.push(edge.to)
  }
  return seen
}
