import { basename, join } from 'node:path'
import { pickVersion } from '@tote/package-json'
import { isToteError } from '@tote/types'
import type { CommandContext } from '../_command-types.js'
import { parseInstallOptions } from '../_install-options.js'
import { chosenRootEdges, type InstalledEdge, loadInstalledTree } from '../_installed.js'
import { openSession } from '../_open-project.js'
import { chosenFolders, workspacesChosen } from './run.js'

// `tote outdated`: npm outdated. For each dependency of the project (with --all, of every installed
// package; with names, the dependencies on those packages): the version installed (current), the one
// its spec would pick now (wanted) and the `latest` tag, listed when they are not all the same. Exit
// code 1 when something is listed.

const compare = new Intl.Collator('en').compare

interface Row {
  name: string
  current: string | undefined
  wanted: string
  latest: string
  /** Absolute folder of the installed copy; undefined when missing. */
  path: string | undefined
  location: string | undefined
  dependent: string
}

function aliasOf(spec: string): { name: string; spec: string } | undefined {
  if (!spec.startsWith('npm:')) return undefined
  const rest = spec.slice(4)
  const at = rest.indexOf('@', rest.startsWith('@') ? 1 : 0)
  return at === -1 ? { name: rest, spec: '*' } : { name: rest.slice(0, at), spec: rest.slice(at + 1) }
}

const isRegistrySpec = (spec: string) =>
  !/^(git\+|git:|github:|gitlab:|bitbucket:|gist:|file:|link:|workspace:|https?:|\.{0,2}\/|~\/)/.test(spec) &&
  !/^[^@\s/:]+\/[^\s]+$/.test(spec)

export async function run(context: CommandContext): Promise<number> {
  // npm asks the registry again for every document it needs here (preferOnline)
  const flags = { ...context.npmFlags }
  if (flags.offline !== true && flags['prefer-offline'] !== true) flags['prefer-online'] = true
  const session = await openSession({ ...context, npmFlags: flags }, parseInstallOptions(context))
  const { config, client } = session
  try {
    const projectDir = config.projectDir
    const tree = await loadInstalledTree(projectDir, session.project.manifest)
    const edges = new Set<InstalledEdge>()
    if (context.positionals.length > 0) {
      for (const name of context.positionals)
        for (const node of tree.nodes.values())
          if (node.name === name) for (const edge of node.edgesIn) edges.add(edge)
    } else {
      if (context.values.all === true)
        for (const node of tree.nodes.values()) for (const edge of node.edgesOut) edges.add(edge)
      // npm's rows for the project and each (chosen) workspace's own dependencies
      const folders = workspacesChosen(config)
        ? await chosenFolders(config, session.project.manifest, context.cwd)
        : undefined
      for (const edge of chosenRootEdges(tree.root, folders)) {
        if (edge.type !== 'workspace') edges.add(edge)
        else for (const inner of edge.to?.edgesOut ?? []) edges.add(inner)
      }
    }
    const omit = new Set(config.omit)
    const rows = (
      await Promise.all(
        [...edges].map(async (edge): Promise<Row | undefined> => {
          const node = edge.to
          if (
            node &&
            ((node.dev && omit.has('dev')) ||
              (node.optional && omit.has('optional')) ||
              (node.peer && omit.has('peer')))
          )
            return undefined
          if (!node && edge.type !== 'prod') return undefined
          if (!isRegistrySpec(edge.spec)) return undefined
          const alias = aliasOf(edge.spec)
          let packument: Awaited<ReturnType<typeof client.getPackument>>
          try {
            packument = await client.getPackument(alias?.name ?? edge.name)
          } catch (error) {
            if (isToteError(error) && ['ETARGET', 'E403', 'E404'].includes(error.code)) return undefined
            throw error
          }
          const versions = packument.versions.keys()
          const tags = packument['dist-tags'] ?? {}
          const wanted = pickVersion(alias?.spec ?? edge.spec, versions, tags)
          const latest = pickVersion('*', versions, tags)
          if (wanted === undefined || latest === undefined) return undefined
          const current = node?.version
          if (current && current === wanted && wanted === latest) return undefined
          return {
            name: alias ? edge.spec.replace('npm', edge.name) : edge.name,
            current,
            wanted,
            latest,
            path: node ? join(projectDir, node.location) : undefined,
            location: node?.location,
            dependent: edge.from.isRoot
              ? basename(projectDir)
              : edge.from.linkTarget !== undefined
                ? `${edge.from.name}@${edge.from.version ?? ''}`
                : edge.from.name,
          }
        }),
      )
    )
      .filter((row): row is Row => row !== undefined)
      .sort((a, b) => compare(a.name, b.name) || compare(a.dependent, b.dependent))
    if (context.values.json === true) {
      const json: Record<string, unknown> = {}
      for (const row of rows) {
        const entry = {
          current: row.current,
          wanted: row.wanted,
          latest: row.latest,
          dependent: row.dependent,
          location: row.path,
        }
        const before = json[row.name]
        json[row.name] =
          before === undefined ? entry : [...(Array.isArray(before) ? before : [before]), entry]
      }
      process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
    } else if (rows.length > 0) {
      process.stdout.write(
        `${table([
          ['Package', 'Current', 'Wanted', 'Latest', 'Location', 'Depended by'],
          ...rows.map((row) => [
            row.name,
            row.current ?? 'MISSING',
            row.wanted,
            row.latest,
            row.location ?? '-',
            row.dependent,
          ]),
        ])}\n`,
      )
    }
    return rows.length > 0 ? 1 : 0
  } finally {
    await client.close()
  }
}

/** npm's text-table: columns two spaces apart, the version columns aligned right. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  const right = new Set([1, 2, 3])
  return rows
    .map((row) =>
      row
        .map((cell, column) =>
          right.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}
