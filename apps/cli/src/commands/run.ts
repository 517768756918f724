import { existsSync } from 'node:fs'
import { constants } from 'node:os'
import { join } from 'node:path'
import { loadConfig, type ToteConfig } from '@tote/config'
import { readManifest, type ScriptManifest, scriptFor } from '@tote/scripts'
import { type ProjectManifest, ToteError } from '@tote/types'
import type { CommandContext } from '../_command-types.js'
import { configFlags } from '../_options.js'
import { createReporterFor, type Reporter } from '../_reporter.js'
import { createRunner, idOf } from '../_scripts.js'
import { closest } from '../_suggest.js'

/** npm's lifecycle scripts, listed apart from the rest by `npm run`. */
const LIFECYCLE = [
  'prepare',
  'prepublishOnly',
  'prepack',
  'postpack',
  'dependencies',
  'preinstall',
  'install',
  'postinstall',
  'prepublish',
  'publish',
  'postpublish',
  'prerestart',
  'restart',
  'postrestart',
  'prestart',
  'start',
  'poststart',
  'prestop',
  'stop',
  'poststop',
  'pretest',
  'test',
  'posttest',
  'preuninstall',
  'uninstall',
  'postuninstall',
  'preversion',
  'version',
  'postversion',
]

/**
 * `tote run <script> [args]` (and `tote test`, `start`, `stop`, `restart`): the script with its
 * pre and post scripts, as npm runs them, sharing the terminal. Returns the script's exit code;
 * a script ended by a signal ends tote with the same signal. `tote run` alone lists the scripts.
 */
export async function run(context: CommandContext): Promise<number> {
  const command = context.command ?? 'run'
  const [name, ...args] = command === 'run' ? context.positionals : [command, ...context.positionals]
  const config = await loadConfig({ cwd: context.cwd, flags: configFlags(context) })
  const reporter = createReporterFor(config)
  if (!workspacesChosen(config)) return runIn(config.projectDir, { command, name, args, config, reporter })
  // npm's -w/--workspaces: the script in each chosen workspace's folder, in order (the project's
  // own first with --include-workspace-root); a workspace without it, or whose script fails, fails
  // the run, and the others still run.
  const folders = await chosenFolders(config, readProjectScripts(config.projectDir), context.cwd)
  let exitCode = 0
  for (const folder of folders) {
    try {
      const code = await runIn(folder.dir, { command, name, args, config, reporter, workspace: folder.label })
      if (code !== 0 && exitCode === 0) exitCode = code
    } catch (error) {
      if (!(error instanceof ToteError) || error.code !== 'EMISSINGSCRIPT' || folders.length === 1)
        throw error
      process.stderr.write(`tote error ${error.code}: ${error.message}\n`)
      if (exitCode === 0) exitCode = 1
    }
  }
  return exitCode
}

/** Whether -w or --workspaces asks for workspaces. */
export function workspacesChosen(config: Pick<ToteConfig, 'get'>): boolean {
  const wanted = config.get('workspace')
  if (Array.isArray(wanted) ? wanted.length > 0 : typeof wanted === 'string' && wanted !== '') return true
  return config.get('workspaces') === true
}

/** The folders `-w`, `--workspaces` and `--include-workspace-root` choose, as install chooses them. */
export async function chosenFolders(
  config: ToteConfig,
  manifest: ScriptManifest,
  cwd: string,
): Promise<{ dir: string; label: string | undefined }[]> {
  // Loaded only here: a plain `tote run` starts without the lockfile package (start-up).
  const [{ readWorkspaces }, { workspaceFilter }] = await Promise.all([
    import('@tote/lockfile'),
    import('../_open-project.js'),
  ])
  const workspaces = await readWorkspaces(config.projectDir, manifest as ProjectManifest)
  const filter = workspaceFilter(config, workspaces, cwd)
  const folders: { dir: string; label: string | undefined }[] = []
  if (filter === undefined || filter.root) folders.push({ dir: config.projectDir, label: undefined })
  for (const path of filter?.workspaces ?? [])
    folders.push({ dir: join(config.projectDir, path), label: path })
  return folders
}

interface RunRequest {
  command: string
  name: string | undefined
  args: string[]
  config: ToteConfig
  reporter: Reporter
  /** The workspace's folder in the project, when run with -w or --workspaces. */
  workspace?: string | undefined
}

/** One folder's script, with its pre and post scripts; without a name, its list of scripts. */
async function runIn(dir: string, request: RunRequest): Promise<number> {
  const { command, name, args, config, reporter } = request
  const manifest = readProjectScripts(dir)
  const scripts = { ...(manifest.scripts ?? {}) } as Record<string, unknown>
  if (name === undefined) {
    if (reporter.level !== 'silent') process.stdout.write(listScripts(manifest, scripts))
    return 0
  }
  if (name === 'restart' && !scripts.restart) {
    // npm's `npm stop --if-present && npm start`, with this tote
    scripts.restart =
      '"$npm_node_execpath" "$npm_execpath" stop --if-present && "$npm_node_execpath" "$npm_execpath" start'
  } else if (name === 'env' && !scripts.env) scripts.env = 'env'
  const withScripts: ScriptManifest = { ...manifest, scripts }
  const has = typeof scripts[name] === 'string' || (name === 'start' && scriptFor(dir, withScripts, 'start'))
  if (!has) {
    if (config.get('if-present') === true) return 0
    const names = Object.keys(scripts)
    const guess = closest(name, names)
    const where =
      request.workspace === undefined ? '' : `workspace ${idOf(manifest)} (${request.workspace}): `
    throw new ToteError(
      'EMISSINGSCRIPT',
      `${where}Missing script: "${name}"${guess ? `. Did you mean "${guess}"?` : ''}`,
      {
        hint: guess
          ? `Run \`tote run ${guess}\`, or \`tote run\` to list the scripts.`
          : `To see a list of scripts, run \`tote run\`${request.workspace === undefined ? '' : ` --workspace=${request.workspace}`}.${names.length === 0 ? ' This package.json has none.' : ''}`,
        details: {
          script: name,
          ...(guess ? { suggestion: guess } : {}),
          ...(request.workspace === undefined ? {} : { workspace: request.workspace }),
        },
      },
    )
  }
  const events: [string, string[]][] = [[name, args]]
  if (!config.ignoreScripts) {
    if (scripts[`pre${name}`]) events.unshift([`pre${name}`, []])
    if (scripts[`post${name}`]) events.push([`post${name}`, []])
  }
  const runner = createRunner(config, command, reporter)
  for (const [event, eventArgs] of events) {
    const result = await runner({
      dir,
      manifest: withScripts,
      event,
      args: eventArgs,
      stdio: 'inherit',
      label: idOf(manifest),
    })
    if (result.signal) {
      // As npm does: end with the script's signal, so that the shell sees what happened.
      process.kill(process.pid, result.signal)
      await new Promise((resolve) => setTimeout(resolve, 500))
      return 128 + signalNumber(result.signal)
    }
    if (result.code !== 0) return result.code ?? 1
  }
  return 0
}

function readProjectScripts(dir: string): ScriptManifest {
  const manifest = readManifest(dir)
  if (manifest) return manifest
  const path = join(dir, 'package.json')
  throw new ToteError(
    existsSync(path) ? 'EJSONPARSE' : 'ENOPACKAGEJSON',
    existsSync(path) ? `${path} is not a JSON object` : `No package.json in ${dir}`,
    { hint: 'Run tote in a project folder, one with a package.json that has "scripts".', details: { path } },
  )
}

/** npm's listing: lifecycle scripts first, then the rest ("available via `tote run`"). */
function listScripts(manifest: ScriptManifest, scripts: Record<string, unknown>): string {
  const entries = Object.entries(scripts)
  if (entries.length === 0) return ''
  const id = idOf(manifest)
  const lifecycle = entries.filter(([key]) => LIFECYCLE.includes(key))
  const others = entries.filter(([key]) => !LIFECYCLE.includes(key))
  const lines: string[] = []
  const show = ([key, value]: [string, unknown]) => lines.push(`  ${key}`, `    ${String(value)}`)
  if (lifecycle.length > 0) {
    lines.push(`Lifecycle scripts included in ${id}:`)
    lifecycle.forEach(show)
  }
  if (others.length > 0) {
    lines.push(
      lifecycle.length > 0 ? 'available via `tote run`:' : `Scripts available in ${id} via \`tote run\`:`,
    )
    others.forEach(show)
  }
  return `${lines.join('\n')}\n`
}

export function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 1
}
