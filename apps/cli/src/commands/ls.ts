import { loadConfig } from '@tote/config'
import { readProjectManifest } from '@tote/lockfile'
import { specAccepts } from '@tote/package-json'
import { ToteError } from '@tote/types'
import type { CommandContext } from '../_command-types.js'
import {
  chosenRootEdges,
  type InstalledEdge,
  type InstalledNode,
  loadInstalledTree,
  pkgid,
} from '../_installed.js'
import { configFlags } from '../_options.js'
import { chosenFolders, workspacesChosen } from './run.js'

// `tote ls`: npm ls over the installed tree. The traversal is npm's: breadth first from the project,
// each node's dependencies sorted by pkgid; a node met again is shown `deduped` (in --json, its
// version only), a dependency nothing meets is `UNMET DEPENDENCY` (a problem, exit code 1).

const compare = new Intl.Collator('en').compare

interface Item {
  node: InstalledNode | undefined
  /** A dependency with nothing installed for it: `name@spec`, and who wants it. */
  missing?: { pkgid: string; by: string; optional: boolean; spec: string }
  deduped: boolean
  invalid?: string
  depth: number
  parent: Item | undefined
  include: boolean
  children: Item[]
  name: string
  json: Record<string, unknown>
}

/** A positional: `name` or `name@range`, matched against the installed packages. */
function matcher(args: string[]): ((node: InstalledNode) => boolean) | undefined {
  if (args.length === 0) return undefined
  const specs = args.map((arg) => {
    const at = arg.indexOf('@', arg.startsWith('@') ? 1 : 0)
    return at === -1 ? { name: arg, range: '*' } : { name: arg.slice(0, at), range: arg.slice(at + 1) || '*' }
  })
  return (node) =>
    specs.some(
      ({ name, range }) =>
        (node.name === name || node.packageName === name) &&
        node.version !== undefined &&
        specAccepts(range, node.packageName, { name: node.packageName, version: node.version }),
    )
}

function problemsOf(item: Item, projectDir: string): string[] {
  if (item.missing && !item.missing.optional)
    return [`missing: ${item.missing.pkgid}, required by ${item.missing.by}`]
  const node = item.node
  if (!node || item.deduped) return []
  const problems: string[] = []
  if (item.invalid) problems.push(`invalid: ${pkgid(node)} ${projectDir}/${node.location}`)
  if (node.extraneous) problems.push(`extraneous: ${pkgid(node)} ${projectDir}/${node.location}`)
  return problems
}

export async function run(context: CommandContext): Promise<number> {
  const { values, positionals } = context
  // the project folder as npm finds it (the nearest package.json up from here, or --prefix)
  const config = await loadConfig({ cwd: context.cwd, flags: configFlags(context) })
  const projectDir = config.projectDir
  const { manifest } = await readProjectManifest(projectDir)
  const tree = await loadInstalledTree(projectDir, manifest)
  const rootEdges = chosenRootEdges(
    tree.root,
    workspacesChosen(config) ? await chosenFolders(config, manifest, context.cwd) : undefined,
  )
  const depthFlag = values.depth
  let depth: number | undefined
  if (depthFlag !== undefined) {
    depth = depthFlag === 'Infinity' ? Number.POSITIVE_INFINITY : Number(depthFlag)
    if (!Number.isInteger(depth) && depth !== Number.POSITIVE_INFINITY) {
      throw new ToteError('EUSAGE', `--depth wants a whole number, not ${JSON.stringify(depthFlag)}.`, {
        hint: 'Use --depth 0 for the project’s own dependencies, --all for everything.',
        details: { usage: true },
      })
    }
  }
  const all = values.all === true
  const depthToPrint = all || positionals.length > 0 ? (depth ?? Number.POSITIVE_INFINITY) : (depth ?? 0)
  const matches = matcher(positionals)
  const seen = new Set<InstalledNode>([tree.root])
  const rootItem: Item = {
    node: tree.root,
    deduped: false,
    depth: 0,
    parent: undefined,
    include: true,
    children: [],
    name: tree.root.name,
    json: {
      ...(tree.root.version ? { version: tree.root.version } : {}),
      name: tree.root.packageName,
    },
  }
  const items: Item[] = [rootItem]
  const problems = new Set<string>()
  const queue: Item[] = [rootItem]
  for (let item = queue.shift(); item; item = queue.shift()) {
    const node = item.node
    if (!node || item.deduped || item.missing || item.depth > depthToPrint) continue
    const edges = node.isRoot ? rootEdges : [...node.edgesOut]
    const children: Item[] = edges.map((edge) => childOf(edge, item))
    // extraneous packages in this folder are listed too
    for (const other of tree.nodes.values()) {
      if (
        other.extraneous &&
        !(node.isRoot && rootEdges !== tree.root.edgesOut) &&
        parentLocation(other.location) === node.location &&
        !edges.some((e) => e.to === other)
      ) {
        children.push(makeItem(other, item, undefined))
      }
    }
    children.sort((a, b) => compare(idOf(a), idOf(b)))
    for (const child of children) {
      if (child.node && !child.missing) {
        if (seen.has(child.node)) child.deduped = true
        else seen.add(child.node)
      }
      child.include = matches ? child.node !== undefined && !child.missing && matches(child.node) : true
      child.json = jsonOf(child)
      items.push(child)
      queue.push(child)
    }
  }
  for (const item of items) {
    const itemProblems = problemsOf(item, projectDir)
    if (item.include) for (const problem of itemProblems) problems.add(problem)
    if (item.include && itemProblems.length > 0) item.json.problems = itemProblems
    if (item.include) for (let p = item.parent; p; p = p.parent) p.include = true
  }
  for (const item of items) {
    if (item.include && item.parent) {
      item.parent.children.push(item)
      const parentJson = item.parent.json as { dependencies?: Record<string, unknown> }
      parentJson.dependencies ??= {}
      parentJson.dependencies[item.name] = item.json
    }
  }
  const failing = [...problems].some((problem) => !problem.startsWith('extraneous:'))
  if (values.json === true) {
    const document = problems.size > 0 ? { ...withProblems(rootItem.json, [...problems]) } : rootItem.json
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`)
  } else {
    process.stdout.write(`${human(rootItem, projectDir)}\n`)
    if (failing) process.stderr.write(`tote error ELSPROBLEMS: ${[...problems].join('\n')}\n`)
  }
  return failing || (matches !== undefined && rootItem.children.length === 0) ? 1 : 0
}

/** The root's JSON with npm's `problems` before its dependencies. */
function withProblems(json: Record<string, unknown>, problems: string[]): Record<string, unknown> {
  const { dependencies, ...rest } = json
  return { ...rest, problems, ...(dependencies ? { dependencies } : {}) }
}

function parentLocation(location: string): string {
  const cut = location.lastIndexOf('/node_modules/')
  return cut === -1 ? '' : location.slice(0, cut)
}

function idOf(item: Item): string {
  return item.missing ? item.missing.pkgid : pkgid(item.node!)
}

function makeItem(node: InstalledNode | undefined, parent: Item, edge: InstalledEdge | undefined): Item {
  return {
    node,
    deduped: false,
    depth: parent.depth + 1,
    parent,
    include: true,
    children: [],
    name: edge?.name ?? node?.name ?? '',
    json: {},
  }
}

function childOf(edge: InstalledEdge, parent: Item): Item {
  const item = makeItem(edge.to, parent, edge)
  // npm counts depth from the workspaces: their dependencies are the project's first level
  if (edge.type === 'workspace') item.depth = parent.depth
  const optional = edge.type === 'optional' || edge.type === 'peerOptional'
  if (!edge.to) {
    item.missing = {
      pkgid: `${edge.name}@${edge.spec}`,
      by: parent.node!.isRoot ? pkgid(parent.node!) : pkgid(parent.node!),
      optional,
      spec: edge.spec,
    }
  } else if (!edge.valid) {
    item.invalid = `${JSON.stringify(edge.spec)} from ${edge.from.location || 'the root project'}`
  }
  return item
}

function jsonOf(item: Item): Record<string, unknown> {
  const json: Record<string, unknown> = {}
  const node = item.node
  if (item.missing) {
    if (!item.missing.optional) Object.assign(json, { required: item.missing.spec, missing: true })
    return json
  }
  if (!node) return json
  if (node.version) json.version = node.version
  if (item.deduped) {
    if (item.invalid) json.invalid = item.invalid
    return json
  }
  if (node.resolved) json.resolved = node.resolved
  json.overridden = false
  if (node.extraneous) json.extraneous = true
  if (item.invalid) json.invalid = item.invalid
  return json
}

/** npm's human tree (archy): `├── `, `└── `, `├─┬ ` and `└─┬ ` with `│ ` beneath. */
function human(root: Item, projectDir: string): string {
  const label = (item: Item): string => {
    if (item.missing)
      return `${item.missing.optional ? 'UNMET OPTIONAL DEPENDENCY' : 'UNMET DEPENDENCY'} ${item.missing.pkgid}`
    const node = item.node!
    let text = pkgid(node)
    if (node.linkTarget !== undefined) text += ` -> ./${node.linkTarget}`
    if (node.extraneous) text += ' extraneous'
    if (item.invalid) text += ` invalid: ${item.invalid}`
    if (item.deduped) text += ' deduped'
    return text
  }
  const lines = [`${pkgid(root.node!)} ${projectDir}`]
  const walk = (item: Item, prefix: string) => {
    item.children.forEach((child, index) => {
      const last = index === item.children.length - 1
      const branch = child.children.length > 0 ? (last ? '└─┬ ' : '├─┬ ') : last ? '└── ' : '├── '
      lines.push(`${prefix}${branch}${label(child)}`)
      walk(child, `${prefix}${last ? '  ' : '│ '}`)
    })
  }
  if (root.children.length === 0) lines.push('└── (empty)')
  walk(root, '')
  return lines.join('\n')
}
