import { randomBytes } from 'node:crypto'
import {
  constants,
  copyFileSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
} from 'node:fs'
import { join } from 'node:path'
import type { ToteConfig } from '@tote/config'
import {
  createScriptRunner,
  describeScripts,
  displayIdentity,
  findNodeGyp,
  type GraphPackage,
  type InstallScripts,
  installScriptsOf,
  lockfileGraph,
  PROJECT_EVENTS,
  readManifest,
  resolvePolicy,
  type ScriptEvent,
  type ScriptManifest,
  type ScriptPolicy,
  type ScriptRunner,
  scriptBaseEnv,
  type UnreviewedMode,
  verdictFor,
  writeFileAtomic,
  writeNodeGypShim,
} from '@tote/scripts'
import { type Lockfile, ToteError } from '@tote/types'
import type { CommandContext } from './_command-types.js'
import type { Reporter } from './_reporter.js'
import type { Tracer } from './_trace.js'

declare const TOTE_VERSION: string

// Lifecycle scripts in `tote install` and `tote ci` (and the environment of `tote run` and
// `tote exec`): the stages live in @tote/scripts; this file decides what runs, and renders it.

/** node_modules/.tote-scripts.json: installed packages whose install scripts have not yet run. */
export const SCRIPT_STATE = '.tote-scripts.json'

export interface ScriptState {
  /** Install path → the version and integrity that was placed there. */
  pending: Record<string, { version: string; integrity: string }>
}

export function readState(nodeModules: string): ScriptState {
  try {
    const data = JSON.parse(readFileSync(join(nodeModules, SCRIPT_STATE), 'utf8')) as ScriptState
    if (data && typeof data.pending === 'object' && data.pending !== null) return data
  } catch {}
  return { pending: {} }
}

/** Whether an earlier run left a record of scripts not yet run. */
export function stateExists(nodeModules: string): boolean {
  return existsSync(join(nodeModules, SCRIPT_STATE))
}

export function writeState(nodeModules: string, state: ScriptState): void {
  const path = join(nodeModules, SCRIPT_STATE)
  if (Object.keys(state.pending).length === 0) {
    rmSync(path, { force: true })
    return
  }
  writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`)
}

/** `tote/0.1.0 node/v20.18.0 linux x64 workspaces/false`, as npm's user agent reads. */
function userAgent(): string {
  return `tote/${TOTE_VERSION} node/${process.version} ${process.platform} ${process.arch} workspaces/false`
}

/** tote's entry script, for `npm_execpath` (scripts run `node "$npm_execpath" …`). */
function toteBin(): string {
  const script = process.argv[1] ?? ''
  try {
    return realpathSync(script)
  } catch {
    return script
  }
}

/** The environment every script of this run starts from: the process's and npm's configuration. */
export function baseEnvironment(config: ToteConfig, command: string): Record<string, string | undefined> {
  const nodeGyp = findNodeGyp({
    configured: config.layerOf('node-gyp') === 'default' ? undefined : config.get('node-gyp'),
    env: process.env,
  })
  return scriptBaseEnv({
    processEnv: process.env,
    configEnv: config.exportedEnv(),
    execPath: toteBin(),
    userAgent: userAgent(),
    command,
    nodeGyp,
  })
}

/** npm's `script-shell`; undefined for the default (`sh`). */
export function scriptShell(config: ToteConfig): string | undefined {
  const shell = config.get('script-shell')
  return typeof shell === 'string' && shell !== '' ? shell : undefined
}

/** The runner for this run: its scripts print nothing themselves; `inherit` ones get npm's banner. */
export function createRunner(
  config: ToteConfig,
  command: string,
  reporter: Reporter,
  tracer?: Tracer,
): ScriptRunner {
  return createScriptRunner({
    env: baseEnvironment(config, command),
    shell: scriptShell(config),
    nodeGypBinDir: writeNodeGypShim(join(config.cacheDir, 'node-gyp-bin')),
    onEvent: (event) => {
      renderScriptEvent(event, reporter)
      if (tracer && event.type === 'script-end') {
        // --trace: each script a span (scripts run in child processes, side by side: async lanes).
        const end = performance.timeOrigin + performance.now()
        tracer.asyncSpan('script', `${event.label || 'project'} ${event.event}`, end - event.ms, end, {
          script: event.script,
          code: event.code,
          signal: event.signal,
          ...(event.logFile ? { log: event.logFile } : {}),
        })
      }
    },
  })
}

/** npm's banner before a script that shares the terminal: `> app@1.0.0 build` and `> the command`. */
export function renderScriptEvent(event: ScriptEvent, reporter: Reporter): void {
  if (event.type === 'script-start') {
    if (event.stdio !== 'inherit' || event.event === 'npx') {
      reporter.debug(`${event.label} ${event.event}: ${event.script}`)
      return
    }
    reporter.stop()
    const command = `> ${event.script.trim().replace(/\n/g, '\n> ')}${event.args.length ? ` ${event.args.join(' ')}` : ''}`
    reporter.info(`\n> ${event.label ? `${event.label} ` : ''}${event.event}\n${command}\n`)
  } else {
    const log = event.logFile ? `; log: ${event.logFile}` : ''
    reporter.debug(`${event.label} ${event.event}: ${describeEnd(event)} in ${Math.round(event.ms)} ms${log}`)
  }
}

export function describeEnd(event: { code: number | null; signal: string | null }): string {
  return event.signal ? `ended by ${event.signal}` : `exit code ${event.code}`
}

/** `tote/…/logs/scripts-<time>-<pid>`: where this run's script logs go; older runs' beyond ten are removed. */
export function logFolder(config: ToteConfig): string {
  const logs = join(config.cacheDir, 'logs')
  try {
    const runs = readdirSync(logs)
      .filter((name) => name.startsWith('scripts-'))
      .sort()
    for (const old of runs.slice(0, Math.max(0, runs.length - 9)))
      rmSync(join(logs, old), { recursive: true, force: true })
  } catch {}
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  return join(logs, `scripts-${stamp}-${process.pid}`)
}

/** How tote treats unreviewed dependency scripts: --unreviewed-scripts, else TOTE_UNREVIEWED_SCRIPTS, else skip. */
export function unreviewedMode(values: CommandContext['values'] | undefined): UnreviewedMode {
  const given = values?.['unreviewed-scripts'] ?? process.env.TOTE_UNREVIEWED_SCRIPTS
  if (given === undefined || given === '') return 'skip'
  if (given === 'skip' || given === 'run' || given === 'fail') return given
  throw new ToteError(
    'EUSAGE',
    `--unreviewed-scripts wants skip, run or fail, not ${JSON.stringify(given)}.`,
    {
      hint: 'skip (the default) names them at the end; run runs them as npm does; fail stops the install.',
      details: { usage: true },
    },
  )
}

/** The allowScripts policy of this project and configuration, with its warnings shown. */
export function policyFor(
  config: ToteConfig,
  manifest: Record<string, unknown>,
  reporter: Reporter,
  unreviewed: UnreviewedMode = 'skip',
): ScriptPolicy {
  const policy = resolvePolicy({
    manifest,
    allowScripts: { value: config.get('allow-scripts'), layer: config.layerOf('allow-scripts') },
    ignoreScripts: config.ignoreScripts,
    dangerouslyAllowAllScripts: config.get('dangerously-allow-all-scripts') === true,
    strictAllowScripts: config.get('strict-allow-scripts') === true,
    unreviewed,
  })
  for (const warning of policy.warnings) reporter.warn(warning)
  return policy
}

/**
 * Whether the install scripts of the package at an install path may run in this install, as
 * the script jobs will decide (trusted by allowScripts, or unreviewed with
 * --unreviewed-scripts=run): the install gives such a package files of its own rather than links
 * into the cache. Decided from the lockfile, before anything is placed; the policy's warnings are
 * shown once, when the scripts run. A policy that cannot be made (its error comes then too): every
 * one may.
 */
export function scriptsMayRun(
  session: { config: ToteConfig; project: { manifest: Record<string, unknown> } },
  lockfile: Lockfile,
  options: { unreviewed: UnreviewedMode },
): (path: string) => boolean {
  const { config } = session
  if (config.ignoreScripts) return () => false
  let policy: ScriptPolicy
  try {
    policy = resolvePolicy({
      manifest: session.project.manifest,
      allowScripts: { value: config.get('allow-scripts'), layer: config.layerOf('allow-scripts') },
      ignoreScripts: config.ignoreScripts,
      dangerouslyAllowAllScripts: config.get('dangerously-allow-all-scripts') === true,
      strictAllowScripts: config.get('strict-allow-scripts') === true,
      unreviewed: options.unreviewed,
    })
  } catch {
    return () => true
  }
  if (policy.ignoreScripts) return () => false
  // made once, and only when a package with install scripts is placed
  let graph: Map<string, GraphPackage> | undefined
  return (path) => {
    graph ??= lockfileGraph(lockfile)
    const node = graph.get(path)
    if (!node) return true
    const verdict = verdictFor(node.policy, policy)
    return verdict === 'run' || (verdict === 'unreviewed' && policy.unreviewed === 'run')
  }
}

/**
 * Gives each file of a package's folder (its node_modules aside: other packages) an inode of its
 * own before the package's scripts run: a file that shares one (linked from the content cache when
 * the package was placed in an install that did not run its scripts) is replaced by a copy, so that
 * the scripts cannot change the cache, nor any project linked to it. Returns how many were copied.
 */
export function ownFiles(dir: string, prefix = ''): number {
  let copied = 0
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    if (prefix === '' && entry.name === 'node_modules') continue
    const path = join(dir, prefix, entry.name)
    if (entry.isDirectory()) copied += ownFiles(dir, join(prefix, entry.name))
    else if (entry.isFile() && lstatSync(path).nlink > 1) {
      const temporary = `${path}.tote-${randomBytes(4).toString('hex')}`
      try {
        // a copy keeps the file's mode; a reflink shares blocks only until either is written
        copyFileSync(path, temporary, constants.COPYFILE_FICLONE)
        renameSync(temporary, path)
      } catch (error) {
        rmSync(temporary, { force: true })
        throw error
      }
      copied++
    }
  }
  return copied
}

/** A package with install scripts, as found on disk. */
export interface InstalledWithScripts {
  path: string
  dir: string
  node: GraphPackage
  manifest: ScriptManifest
  scripts: InstallScripts
  label: string
  /** Trusted name, for the approve command. */
  name: string
}

/** The package at `path` if it has install scripts (npm's list; the package.json read only when it may). */
export function withScripts(
  projectDir: string,
  lockfile: Lockfile,
  graph: Map<string, GraphPackage>,
  path: string,
): InstalledWithScripts | undefined {
  const node = graph.get(path)
  const entry = lockfile.packages[path]
  if (!node || !entry) return undefined
  const dir = join(projectDir, path)
  if (entry.hasInstallScript !== true && !existsSync(join(dir, 'binding.gyp'))) {
    // No scripts by the lockfile, no binding.gyp: only a prepare of a non-registry package is left.
    if (node.policy.registry) return undefined
  }
  const manifest = readManifest(dir)
  if (!manifest) return undefined
  const scripts = installScriptsOf(dir, manifest, { registry: node.policy.registry })
  if (Object.keys(scripts).length === 0) return undefined
  const shown = displayIdentity(node.policy, {
    name: typeof manifest.name === 'string' ? manifest.name : undefined,
    version: typeof manifest.version === 'string' ? manifest.version : undefined,
  })
  return {
    path,
    dir,
    node,
    manifest,
    scripts,
    label: shown.version ? `${shown.name}@${shown.version}` : shown.name,
    name: shown.name,
  }
}

/** What the dependency scripts of an install came to, for the closing summary. */
export interface DependencyScriptsReport {
  /** Unreviewed packages whose scripts did not run. */
  skipped: InstalledWithScripts[]
  ran: number
  /** Packages whose built result came from the build cache instead of their scripts. */
  reused: number
}

/**
 * The project's own scripts after `tote install` and `tote ci`, in npm's order (preinstall,
 * install, postinstall, prepublish, preprepare, prepare, postprepare), sharing the terminal.
 */
export async function runProjectScripts(
  session: { config: ToteConfig; reporter: Reporter; tracer?: Tracer | undefined },
  command: string,
): Promise<void> {
  const { config, reporter } = session
  if (config.ignoreScripts) return
  const manifest = readManifest(config.projectDir) ?? {}
  // Most projects have none of these: no runner (nor node-gyp lookup) then. A binding.gyp makes
  // npm's implicit `node-gyp rebuild`.
  const scripts = (manifest.scripts ?? {}) as Record<string, unknown>
  const any = PROJECT_EVENTS.some((event) => typeof scripts[event] === 'string')
  if (!any && !existsSync(join(config.projectDir, 'binding.gyp'))) return
  const runner = createRunner(config, command, reporter, session.tracer)
  for (const event of PROJECT_EVENTS) {
    const result = await runner({
      dir: config.projectDir,
      manifest,
      event,
      stdio: 'inherit',
      label: idOf(manifest),
    })
    if (result.script !== undefined && (result.code !== 0 || result.signal !== null)) {
      throw new ToteError(
        'ESCRIPTFAILED',
        `${idOf(manifest) || 'the project'} ${event} script failed (${describeEnd(result)}): ${result.script}`,
        {
          hint: `Fix the ${event} script in package.json (its output is above), or run with --ignore-scripts to skip the project's scripts.`,
          details: { event, script: result.script, code: result.code, signal: result.signal },
        },
      )
    }
  }
}

/** npm's `_id`: `name@version`, or the name, or nothing. */
export function idOf(manifest: ScriptManifest): string {
  if (typeof manifest.name === 'string' && typeof manifest.version === 'string')
    return `${manifest.name}@${manifest.version}`
  return typeof manifest.name === 'string' ? manifest.name : ''
}

/**
 * The closing summary of an install that skipped unreviewed dependency scripts: each package and
 * its scripts, and the command that approves them. Shown at every log level: the project may not
 * work until they have run.
 */
export function reportSkippedScripts(
  report: DependencyScriptsReport | undefined,
  reporter: Reporter,
  approveHint?: (names: string[]) => string,
): void {
  const skipped = report?.skipped ?? []
  if (skipped.length === 0) return
  const names = [...new Set(skipped.filter((pkg) => !pkg.node.policy.inBundle).map((pkg) => pkg.name))]
  const lines = skipped.map(
    (pkg) =>
      `  ${pkg.label} (${describeScripts(pkg.scripts)})${pkg.node.policy.inBundle ? ' [bundled: cannot be approved]' : ''}`,
  )
  const count = skipped.length
  const approve = names.length > 0 ? `tote install-scripts approve ${names.join(' ')}` : undefined
  reporter.alert({
    code: 'ESCRIPTSSKIPPED',
    message: [
      `${count} ${count === 1 ? 'package has' : 'packages have'} install scripts that did not run (not yet covered by allowScripts):`,
      ...lines,
      approve && approveHint
        ? approveHint(names)
        : approve
          ? `Review them, then run \`${approve}\` (the next \`tote install\` runs them), or \`tote install-scripts deny <pkg>\` to keep them off.`
          : 'Bundled dependencies never run their install scripts unless --unreviewed-scripts=run or --dangerously-allow-all-scripts.',
    ].join('\n'),
  })
}
