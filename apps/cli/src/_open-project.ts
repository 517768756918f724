import { join, relative, resolve } from 'node:path'
import { loadConfig, type ToteConfig } from '@tote/config'
import {
  globMatch,
  type ProjectManifestFile,
  readProjectManifest,
  readWorkspaces,
  type WorkspaceManifestFile,
} from '@tote/lockfile'
import { createRegistryClient, type RegistryClient, type RegistryEvent } from '@tote/registry-client'
import { ToteError } from '@tote/types'
import type { CommandContext } from './_command-types.js'
import type { InstallOptions } from './_install-options.js'
import { configFlags } from './_options.js'
import type { WorkspaceFilter } from './_plan.js'
import { createReporterFor, type Reporter } from './_reporter.js'
import { registryClientOptions } from './_stages.js'
import { createTracer, type Tracer } from './_trace.js'

// The second step of the commands that resolve or install: the configuration (npm's, with the
// command's flags), the project and its workspaces, the reporter, the tracer and the registry client.

/** What every installing command starts from. */
export interface Session extends InstallOptions {
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
  /** How stage modules are loaded on the main thread (see Host in main.ts). */
  importModule: ((specifier: string) => Promise<unknown>) | undefined
  /** Set with --trace FILE: every job's span, written at the end. */
  tracer: Tracer | undefined
  tracePath: string | undefined
  /** The command, as scripts see it in `npm_command`. */
  command: string
  /** See CommandContext.approveHint. */
  approveHint: ((names: string[]) => string) | undefined
}

/** Opens the project for a command, with its install flags already parsed (parseInstallOptions). */
export async function openSession(context: CommandContext, options: InstallOptions): Promise<Session> {
  const started = performance.now()
  const config = await loadConfig({ cwd: context.cwd, flags: configFlags(context) })
  const reporter = createReporterFor(config)
  const project = await readProjectManifest(config.projectDir)
  const workspaces = await readWorkspaces(config.projectDir, project.manifest)
  const filter = workspaceFilter(config, workspaces, context.cwd)
  const tracePath = typeof context.values.trace === 'string' ? context.values.trace : undefined
  const tracer = tracePath ? createTracer() : undefined
  const client = createRegistryClient(
    registryClientOptions(config, (event) => renderClientEvent(event, config, reporter, tracer)),
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
    cloneStrategy: options.cloneStrategy,
    stageModules: options.stageModules,
    importModule: context.importModule,
    workers: options.workers,
    tracer,
    tracePath,
    command: context.command ?? 'install',
    approveHint: context.approveHint,
    unreviewed: options.unreviewed,
  }
}

/** The registry client's requests as the progress line, the trace and --verbose show them. */
function renderClientEvent(
  event: RegistryEvent,
  config: ToteConfig,
  reporter: Reporter,
  tracer: Tracer | undefined,
): void {
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
