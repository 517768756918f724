import { accessSync, constants, existsSync, mkdirSync, rmdirSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { CloneStrategy } from '@tote/cloner'
import { loadConfig, type ToteConfig } from '@tote/config'
import {
  globMatch,
  isLockfileInSync,
  type ProjectManifestFile,
  readProjectManifest,
  readWorkspaces,
  unsupportedEngines,
  type WorkspaceManifestFile,
} from '@tote/lockfile'
import { createRegistryClient, type RegistryClient } from '@tote/registry-client'
import type { Scheduler } from '@tote/scheduler'
import type { UnreviewedMode } from '@tote/scripts'
import { type Lockfile, ToteError } from '@tote/types'
import type { CommandContext } from './_commands.js'
import { configFlags, createReporterFor } from './_context.js'
import type { NodeModulesResult } from './_install.js'
import type { WorkspaceFilter } from './_plan.js'
import { lockProject, type ProjectLock } from './_project-lock.js'
import type { Reporter } from './_reporter.js'
import { unreviewedMode } from './_scripts.js'
import { STAGE_NAMES, type StageModules, type StageName } from './_stage-modules.js'
import { registryClientOptions } from './_stages.js'
import { createTracer, type Tracer } from './_trace.js'

/** What every installing command starts from. */
export interface Session {
  started: number
  reporter: Reporter
  config: ToteConfig
  project: ProjectManifestFile
  /** The project's workspaces (package.json `workspaces`), in npm's order. */
  workspaces: WorkspaceManifestFile[]
  /** What `-w`, `--workspaces` and `--include-workspace-root` chose; undefined: everything. */
  filter: WorkspaceFilter | undefined
  lockPath: string
  client: RegistryClient
  cloneStrategy: CloneStrategy
  /** --stage name=module and --cloner: stages taken from other modules (file URLs), to compare them. */
  stageModules: StageModules
  /** How stage modules are loaded on the main thread (see Host in main.ts). */
  importModule: ((specifier: string) => Promise<unknown>) | undefined
  /** --workers: worker threads for the scheduler; undefined lets it choose. */
  workers: number | undefined
  /** Set with --trace FILE: every job's span, written at the end. */
  tracer: Tracer | undefined
  tracePath: string | undefined
  /** The command, as scripts see it in `npm_command`. */
  command: string
  /** See CommandContext.approveHint. */
  approveHint: ((names: string[]) => string) | undefined
  /** What happens to dependencies' scripts that allowScripts does not cover (--unreviewed-scripts). */
  unreviewed: UnreviewedMode
}

export async function openSession(context: CommandContext): Promise<Session> {
  const started = performance.now()
  const cloneStrategy = parseCloneStrategy(context.values['linker-strategy'])
  const workers = parseWorkers(context.values.workers)
  const stageModules = parseStageModules(context)
  const unreviewed = unreviewedMode(context.values)
  const config = await loadConfig({ cwd: context.cwd, flags: configFlags(context) })
  const reporter = createReporterFor(config)
  const project = await readProjectManifest(config.projectDir)
  const workspaces = await readWorkspaces(config.projectDir, project.manifest)
  const filter = workspaceFilter(config, workspaces, context.cwd)
  const tracePath = typeof context.values.trace === 'string' ? context.values.trace : undefined
  const tracer = tracePath ? createTracer() : undefined
  const client = createRegistryClient(
    registryClientOptions(config, (event) => {
      if (event.type === 'request-start') reporter.progress.inFlight++
      else if (event.type === 'request-end') {
        reporter.progress.inFlight--
        if (tracer) {
          const end = performance.timeOrigin + performance.now()
          const kind = event.url.endsWith('.tgz') ? 'http tarball' : 'http packument'
          tracer.asyncSpan(kind, event.url.slice(event.url.lastIndexOf('/') + 1), end - event.ms, end, {
            url: event.url,
            status: event.status,
            bytes: event.bytes,
          })
        }
        reporter.debug(`GET ${event.url} ${event.status} ${event.bytes} B ${Math.round(event.ms)} ms`)
      } else if (event.type === 'retry') {
        // Visible: a slow or failing registry should not look like a frozen install.
        const tries = config.fetchRetries + 1
        reporter.warn({
          code: 'ERETRY',
          message: `GET ${event.url}: ${event.reason} (try ${event.attempt} of ${tries}); trying again in ${event.delay < 1000 ? `${event.delay} ms` : `${(event.delay / 1000).toFixed(1)}s`}`,
        })
      }
      reporter.update()
    }),
  )
  return {
    started,
    reporter,
    config,
    project,
    workspaces,
    filter,
    lockPath: join(config.projectDir, 'package-lock.json'),
    client,
    cloneStrategy,
    stageModules,
    importModule: context.importModule,
    workers,
    tracer,
    tracePath,
    command: context.command ?? 'install',
    approveHint: context.approveHint,
    unreviewed,
  }
}

/**
 * npm's choice of workspaces for install and ci (its getWorkspaces and reify filter): `-w <name or
 * folder>` (repeatable; a folder that holds workspaces chooses them all; npm also sets it when run
 * inside a workspace), `--workspaces` (all of them), `--no-workspaces` (none: the project's own
 * dependencies only); the project's own dependencies go with the chosen workspaces only with
 * `--include-workspace-root`. Undefined: everything. A filter that chooses nothing is `ENOWORKSPACE`.
 */
export function workspaceFilter(
  config: Pick<ToteConfig, 'get' | 'projectDir'>,
  workspaces: readonly WorkspaceManifestFile[],
  cwd: string,
): WorkspaceFilter | undefined {
  const wanted = config.get('workspace')
  const filters = (Array.isArray(wanted) ? wanted : typeof wanted === 'string' ? [wanted] : []).filter(
    (filter): filter is string => typeof filter === 'string' && filter !== '',
  )
  const all = config.get('workspaces')
  const includeRoot = config.get('include-workspace-root') === true
  if (all === false && filters.length === 0) return { workspaces: [], root: true }
  if (filters.length === 0 && all !== true) return undefined
  const nameOf = (w: WorkspaceManifestFile) =>
    typeof w.manifest.name === 'string' && w.manifest.name ? w.manifest.name : w.path.split('/').at(-1)!
  const chosen = new Set<string>()
  if (filters.length === 0) for (const w of workspaces) chosen.add(w.path)
  for (const filter of filters) {
    const folder = relative(config.projectDir, resolve(cwd, filter)).split('\\').join('/')
    for (const w of workspaces) {
      if (filter === nameOf(w) || folder === w.path || globMatch(w.path, `${folder}/*`)) chosen.add(w.path)
    }
  }
  if (chosen.size === 0 && !includeRoot) {
    const asked = filters.map((filter) => ` --workspace=${filter}`).join('')
    throw new ToteError('ENOWORKSPACE', `No workspaces found${asked ? `:${asked}` : '!'}`, {
      hint: workspaces.length
        ? `The project's workspaces are: ${workspaces.map(nameOf).join(', ')}. Name one, or the folder that holds it.`
        : 'The project declares no workspaces ("workspaces" in package.json).',
      details: { filters, workspaces: workspaces.map(nameOf) },
    })
  }
  return { workspaces: workspaces.filter((w) => chosen.has(w.path)).map((w) => w.path), root: includeRoot }
}

/** Writes the --trace file, and with --verbose prints where the time went. */
export async function finishTrace(session: Session): Promise<void> {
  const { tracer, tracePath, reporter } = session
  if (!tracer || !tracePath) return
  await tracer.write(tracePath)
  reporter.debug(`trace written to ${tracePath} (open it in https://ui.perfetto.dev)`)
  reporter.debug('time per stage (busy: summed over threads and lanes):')
  const rows = tracer.summary().sort((a, b) => a.firstMs - b.firstMs)
  for (const row of rows) {
    reporter.debug(
      `${row.category.padEnd(16)} ${String(row.jobs).padStart(6)} jobs, busy ${(row.busyMs / 1000).toFixed(2)}s, from ${(row.firstMs / 1000).toFixed(2)}s to ${(row.lastMs / 1000).toFixed(2)}s`,
    )
  }
  reporter.debug('critical path:')
  for (const line of tracer.criticalPath()) reporter.debug(`  ${line}`)
}

function parseWorkers(value: unknown, flag = '--workers'): number | undefined {
  if (value === undefined) return undefined
  const count = Number(value)
  if (typeof value === 'string' && Number.isInteger(count) && count >= 0 && count <= 64) return count
  throw new ToteError('EUSAGE', `${flag} wants a whole number from 0 to 64, not ${JSON.stringify(value)}.`, {
    hint: `Use ${flag} 0 to run everything on the main thread.`,
    details: { usage: true },
  })
}

/** `--stage name=module` (repeatable) and `--cloner module`: each stage named once at most. */
function parseStageModules(context: CommandContext): StageModules {
  const given = [context.values.stage ?? []].flat()
  if (typeof context.values.cloner === 'string') given.push(`cloner=${context.values.cloner}`)
  const names = Object.keys(STAGE_NAMES).join(', ')
  const modules: StageModules = {}
  for (const value of given) {
    const at = typeof value === 'string' ? value.indexOf('=') : -1
    const name = (typeof value === 'string' ? value.slice(0, Math.max(at, 0)) : '') as StageName
    const module = typeof value === 'string' ? value.slice(at + 1) : ''
    if (!(name in STAGE_NAMES) || module === '') {
      throw new ToteError('EUSAGE', `--stage wants name=module, not ${JSON.stringify(value)}.`, {
        hint: `Name one of: ${names}; the module exports its factory (${STAGE_NAMES.cloner}, …).`,
        details: { usage: true },
      })
    }
    if (modules[name] !== undefined) {
      throw new ToteError('EUSAGE', `The ${name} stage is named twice (--stage, --cloner).`, {
        hint: 'Name each stage once.',
        details: { usage: true },
      })
    }
    // A path is the command line's, relative to --cwd; a URL (file:…) is taken as it is.
    modules[name] = /^[a-z][a-z0-9+.-]+:/i.test(module)
      ? module
      : pathToFileURL(resolve(context.cwd, module)).href
  }
  return modules
}

export const CLONE_STRATEGIES: readonly CloneStrategy[] = ['auto', 'reflink', 'hardlink', 'copy']

function parseCloneStrategy(value: unknown): CloneStrategy {
  if (value === undefined) return 'auto'
  if (typeof value === 'string' && (CLONE_STRATEGIES as readonly string[]).includes(value)) {
    return value as CloneStrategy
  }
  throw new ToteError('EUSAGE', `Unknown --linker-strategy ${JSON.stringify(value)}.`, {
    hint: `Use one of: ${CLONE_STRATEGIES.join(', ')}.`,
    details: { usage: true },
  })
}

/**
 * The cache folder must be writable for an install, or the first unpack fails deep in a worker
 * with a misleading error (a recursive mkdir on a read-only file system says ENOENT).
 */
export function checkCacheWritable(config: ToteConfig): void {
  try {
    mkdirSync(config.cacheDir, { recursive: true })
    accessSync(config.cacheDir, constants.W_OK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new ToteError(
      'ECACHEDIR',
      `The cache folder ${config.cacheDir} cannot be written (${code ?? String(error)})`,
      {
        hint: 'Point tote at a writable folder with --cache-dir (or TOTE_CACHE_DIR), or fix the permissions of that one.',
        cause: error,
        details: { path: config.cacheDir, ...(code ? { errno: code } : {}) },
      },
    )
  }
}

/** How long a run waits for another one installing in the same project (TOTE_LOCK_WAIT: seconds). */
function lockWaitMs(): number {
  const seconds = Number(process.env.TOTE_LOCK_WAIT)
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 10 * 60_000
}

/**
 * Takes the project's lock (node_modules/.tote-lock) for a command that writes node_modules,
 * waiting for another run with a message. Released, the lock leaves no node_modules behind that
 * this run created and left empty.
 */
export async function lockForInstall(session: Session): Promise<ProjectLock> {
  checkCacheWritable(session.config)
  const nodeModules = join(session.config.projectDir, 'node_modules')
  const created = !existsSync(nodeModules)
  const lock = await lockProject(nodeModules, {
    timeoutMs: lockWaitMs(),
    onWait(holder) {
      const who = holder ? `tote (pid ${holder.pid})` : 'another tote'
      session.reporter.warn({
        code: 'ELOCKWAIT',
        message: `${who} is installing in this project; waiting for it to finish…`,
      })
    },
  })
  return {
    path: lock.path,
    release() {
      lock.release()
      if (created) {
        try {
          rmdirSync(nodeModules)
        } catch {} // not empty: the install put something there
      }
    },
  }
}

export function elapsed(session: Session): string {
  return `${((performance.now() - session.started) / 1000).toFixed(2)}s`
}

/** The end of `tote install` and `tote ci`: node_modules as the lockfile says, the closing lines, the trace. */
export async function installAndReport(
  session: Session,
  lockfile: Lockfile,
  scheduler: Scheduler,
  /** Runs once node_modules is complete (install writes package-lock.json there, as npm does last). */
  afterInstall?: () => Promise<void>,
): Promise<number> {
  const { config, reporter, tracer } = session
  // Loaded when needed: the install stages (and tinypool) are no part of `--lockfile-only`'s start-up.
  const { installNodeModules } = await import('./_install.js')
  checkInstallStrategy(config)
  const scripts = await import('./_scripts.js')
  // dependencies' scripts start while the tree is placed, each once its part of it is there
  const jobs = (await import('./_script-jobs.js')).createScriptJobs(session, lockfile, session)
  const result = await installNodeModules({
    projectDir: config.projectDir,
    lockfile,
    config,
    scheduler,
    reporter,
    tracer,
    filter: session.filter,
    scripts: jobs,
  }).catch(async (error: unknown) => {
    await jobs.cancel()
    throw error
  })
  const skipped = await jobs.finish()
  await afterInstall?.()
  reporter.stop()
  await scripts.runProjectScripts(session, session.command)
  reportInstalled(session, result)
  scripts.reportSkippedScripts(skipped, reporter, session.approveHint)
  await finishTrace(session)
  return 0
}

/** npm's `1 package`, `2 packages`. */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`
}

/** npm's summary: `added 2 packages, removed 1 package, and changed 3 packages`, or `up to date`. */
function changesLine(added: number, removed: number, changed: number): string {
  const parts = [
    added > 0 ? `added ${plural(added, 'package')}` : '',
    removed > 0 ? `removed ${plural(removed, 'package')}` : '',
    changed > 0 ? `changed ${plural(changed, 'package')}` : '',
  ].filter(Boolean)
  if (parts.length === 0) return 'up to date'
  if (parts.length === 1) return parts[0]!
  return `${parts.slice(0, -1).join(', ')}${parts.length > 2 ? ',' : ''} and ${parts.at(-1)}`
}

/** The closing line of an install: what changed. */
export function reportInstalled(session: Session, result: NodeModulesResult): void {
  const { reporter } = session
  const changes = changesLine(result.added, result.removed, result.changed)
  const fetched = result.added + result.changed > 0 ? ` (${result.downloaded} downloaded)` : ''
  reporter.info(`${changes} in ${elapsed(session)}${fetched}`)
}

/**
 * `--dry-run`: what an install would do, with nothing written. `fresh`: into an emptied
 * node_modules (ci), so every package is added.
 */
export async function reportDryRun(
  session: Session,
  lockfile: Lockfile,
  options: { lockChanged: boolean; fresh?: boolean },
): Promise<number> {
  const { reporter, config } = session
  const { compareWithTree } = await import('./_tree-state.js')
  const { plan, previous, toPlace, changedPaths, toLink, alsoKept } = await compareWithTree(
    config.projectDir,
    lockfile,
    config,
    { fresh: options.fresh === true, filter: session.filter },
  )
  const wanted = new Set([...plan.packages.map((pkg) => pkg.path), ...plan.links.map((link) => link.path)])
  const removed = Object.keys(previous?.packages ?? {}).filter(
    (path) => !wanted.has(path) && !alsoKept.has(path),
  )
  reporter.stop()
  for (const pkg of toPlace) {
    const verb = changedPaths.has(pkg.path) ? 'change' : 'add'
    reporter.info(`${verb} ${pkg.path} ${pkg.version}`)
  }
  for (const link of toLink) reporter.info(`link ${link.path} -> ${link.target}`)
  for (const path of removed) reporter.info(`remove ${path}`)
  const changed = changedPaths.size
  const lockNote = options.lockChanged ? '; package-lock.json would change' : ''
  reporter.info(
    `dry run: would have ${changesLine(toPlace.length - changed + toLink.length, removed.length, changed)}${lockNote}; nothing was written`,
  )
  return 0
}

/**
 * npm's engine check of the tree (buildIdealTree's checkEngineAndPlatform): a package whose
 * engines.node this Node.js does not satisfy is a warning (EBADENGINE), or with engine-strict the
 * error, before anything is written; --force skips it, as npm's does. engines.npm is not checked.
 */
export function checkEngines(session: Session, lockfile: Lockfile): void {
  const { config, reporter } = session
  if (config.get('force') === true) return
  const mismatches = unsupportedEngines(lockfile, process.version)
  const current = JSON.stringify({ node: process.version })
  const first = mismatches[0]
  if (first && config.get('engine-strict') === true) {
    throw new ToteError(
      'EBADENGINE',
      `Not compatible with your version of node: ${first.name}@${first.version} wants ${JSON.stringify(first.required)} (current: ${current})`,
      {
        hint: 'Use a Node.js version it supports, or turn engine-strict off to be warned only (npm installs it then).',
        details: { packages: mismatches.map((m) => `${m.name}@${m.version}`), current: process.version },
      },
    )
  }
  for (const m of mismatches) {
    reporter.warn({
      code: 'EBADENGINE',
      message: `Unsupported engine for ${m.name}@${m.version}: wanted: ${JSON.stringify(m.required)} (current: ${current})`,
    })
  }
}

/** npm's install-strategy: tote lays out npm's default (hoisted) tree only. */
export function checkInstallStrategy(config: ToteConfig): void {
  const strategy = config.get('install-strategy')
  if (strategy === undefined || strategy === null || strategy === 'hoisted') return
  throw new ToteError(
    'EUNSUPPORTED',
    `install-strategy=${String(strategy)} is not supported; tote installs npm's hoisted layout only, so far`,
    {
      hint: 'Remove install-strategy from .npmrc (or the flag) to install the hoisted tree, or use npm for this project.',
      details: { key: 'install-strategy', value: strategy },
    },
  )
}

/**
 * The lockfile as it is, for `ci` and `install --frozen-lockfile`: it must exist and match
 * package.json (npm ci's check), each difference listed once.
 */
export function lockfileMatchingProject(
  session: Session,
  lockfile: Lockfile | undefined,
  command: string,
): Lockfile {
  if (!lockfile) {
    throw new ToteError('ENOLOCK', `${command} needs a package-lock.json in ${session.config.projectDir}`, {
      hint: 'Run `tote install` first to write one, and commit it.',
    })
  }
  const sync = isLockfileInSync(lockfile, session.project.manifest, { workspaces: session.workspaces })
  if (!sync.inSync) {
    throw new ToteError(
      'ELOCKOUTOFSYNC',
      `package-lock.json does not match package.json:\n  ${sync.reasons.join('\n  ')}`,
      {
        hint: `Run \`tote install\`${command === 'tote ci' ? '' : ` without ${command}`} to update the lockfile, then commit it.`,
        details: { reasons: sync.reasons },
      },
    )
  }
  return lockfile
}
