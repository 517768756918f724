import { join } from 'node:path'
import { readLockfile, stringifyLockfile, writeLockfileText } from '@tote/lockfile'
import {
  type DependencyMaps,
  type PackageJsonFile,
  packageJsonText,
  readPackageJson,
  writePackageJsonText,
} from '@tote/package-json'
import { createRegistryClient } from '@tote/registry-client'
import type { Scheduler } from '@tote/scheduler'
import { type Lockfile, type ProjectManifest, ToteError } from '@tote/types'
import type { CommandContext } from './_commands.js'
import type { NodeModulesResult } from './_install.js'
import { exitOnInterrupt, interruption } from './_interrupt.js'
import { createProjectResolver } from './_project-resolver.js'
import {
  checkInstallStrategy,
  elapsed,
  finishTrace,
  lockForInstall,
  lockfileMatchingProject,
  openSession,
  reportDryRun,
  type Session,
} from './_session.js'
import { registryClientOptions } from './_stages.js'
import { removeStaleTempFilesInBackground } from './_temp-files.js'
import { traced } from './_trace.js'
import { HIDDEN_LOCKFILE, markDone } from './_tree-state.js'

// The flow of the commands that change what a project depends on (add, remove, update; install
// with --json): edit the manifest, resolve it, then make node_modules, package-lock.json and
// package.json match, in that order. package.json is written last, and only once the rest worked:
// whatever fails before (a bad spec, ETARGET, the network, a full disk) leaves all three as they were.

/** What a command changes, worked out from the project as it is. */
export interface ManagePlan {
  /** The manifest to resolve: the project's, with the command's edits. */
  manifest: ProjectManifest
  /** Project dependencies to resolve anew though the locked ones fit (npm's explicit requests). */
  explicit?: string[]
  /** Names to update wherever they are (npm update <name>). */
  update?: string[]
  /** Resolve from nothing, not from the lockfile (npm update with no names). */
  fresh?: boolean
  /** Write package-lock.json even with --no-save (npm update does). */
  lockfileDespiteNoSave?: boolean
  /** Use package-lock.json as it is (install --frozen-lockfile). */
  frozen?: boolean
  /**
   * What to save once resolved, given the resolved tree (the specs npm saves name the installed
   * versions): the package.json content, and the maps npm keeps on the project's package for the
   * lockfile's project entry (they differ for an optional dependency, which npm also lists in
   * dependencies there). Undefined leaves package.json alone.
   */
  save?(lockfile: Lockfile): { content: Record<string, unknown>; maps: DependencyMaps } | undefined
  /** What the command did, for people (lines) and for --json, given the final tree and content. */
  describe(
    lockfile: Lockfile,
    saved: Record<string, unknown> | undefined,
    before: Lockfile | undefined,
  ): ManageSummary
}

export interface ManageSummary {
  /** Result lines printed before npm's closing line. */
  lines: string[]
  /** The command's own fields of the --json document. */
  json: Record<string, unknown>
}

export interface ManageContext {
  session: Session
  file: PackageJsonFile
  /** npm's save-prefix, '' with save-exact. */
  savePrefix: string
}

/** npm's save-prefix as npm flattens it: none with save-exact. */
export function savePrefixOf(config: Session['config']): string {
  if (config.get('save-exact') === true) return ''
  const prefix = config.get('save-prefix')
  return typeof prefix === 'string' ? prefix : '^'
}

/** The project manifest with other dependency maps (for resolving what package.json will say). */
export function withMaps(manifest: ProjectManifest, content: Record<string, unknown>): ProjectManifest {
  const result: ProjectManifest = { ...manifest }
  for (const field of [
    'dependencies',
    'devDependencies',
    'optionalDependencies',
    'peerDependencies',
  ] as const) {
    const map = content[field] as Record<string, string> | undefined
    if (map && Object.keys(map).length > 0) result[field] = map
    else delete result[field]
  }
  if (content.peerDependenciesMeta) result.peerDependenciesMeta = content.peerDependenciesMeta as never
  return result
}

/** Runs a managing command: `plan` says what changes. Returns the exit code. */
export async function runManaged(
  context: CommandContext,
  command: string,
  plan: (manage: ManageContext) => ManagePlan | Promise<ManagePlan>,
): Promise<number> {
  const session = await openSession(context)
  const { reporter, config, client } = session
  const json = context.values.json === true
  // --json: one document on stdout, nothing else there (warnings and errors still go to stderr)
  if (json) reporter.info = () => {}
  checkInstallStrategy(config)
  const lockfileOnly =
    context.values['lockfile-only'] === true || context.values['package-lock-only'] === true
  const dryRun = context.values['dry-run'] === true || config.get('dry-run') === true
  const usesLockfile = config.get('package-lock') !== false
  // npm's --no-save: node_modules changes, package.json and package-lock.json do not
  const saves = config.get('save') !== false && !dryRun
  const installs = !lockfileOnly && !dryRun
  const folders = { cacheDir: config.cacheDir, projectDir: config.projectDir }
  if (!dryRun) removeStaleTempFilesInBackground(folders, reporter.debug)
  const file = await readPackageJson(config.projectDir)
  const lock = installs ? await lockForInstall(session) : undefined
  const scheduler = installs
    ? (await import('./_install.js')).createInstallScheduler(
        client,
        config,
        reporter,
        session,
        session.tracer,
      )
    : undefined
  let state = 'package.json, package-lock.json and node_modules are as they were'
  /** Set while node_modules is being changed: what an interruption runs to put it back. */
  let putBack: (() => Promise<void>) | undefined
  const stopHandlingInterrupts = exitOnInterrupt({
    command,
    reporter,
    folders,
    state: () => state,
    stop: () => Promise.all([scheduler?.close(), client.close()]),
    release: () => lock?.release(),
    afterStop: () => putBack?.() ?? Promise.resolve(),
  })
  try {
    const change = await plan({ session, file, savePrefix: savePrefixOf(config) })
    const existing = usesLockfile ? await readLockfile(session.lockPath) : undefined
    if (existing) scheduler?.warmUp(Object.keys(existing.packages).length)
    const resolver = createProjectResolver(session, context, scheduler)
    let lockfile: Lockfile
    let saved: Record<string, unknown> | undefined
    if (change.frozen) lockfile = lockfileMatchingProject(session, existing, '--frozen-lockfile')
    else {
      reporter.phase('resolving')
      const resolved = await traced(session.tracer, 'phase', 'resolve', () =>
        resolver.resolve(change.manifest, {
          lockfile: change.fresh ? undefined : existing,
          explicit: change.explicit ?? [],
          update: change.update ?? [],
          workspaces: session.workspaces,
          projectDir: config.projectDir,
        }),
      )
      lockfile = resolved.lockfile
      // a dry run works out what would be saved, and writes nothing
      const toSave = config.get('save') !== false ? change.save?.(lockfile) : undefined
      saved = toSave?.content
      if (toSave !== undefined) {
        // The lockfile's project entry has the saved specs (npm saves the lockfile after package.json):
        // the same tree, resolved again from itself with them.
        const final = await resolver.resolve(
          withMaps(change.manifest, toSave.maps as Record<string, unknown>),
          { lockfile, workspaces: session.workspaces, projectDir: config.projectDir },
        )
        lockfile = final.lockfile
      }
    }
    const packageText = saved === undefined ? undefined : packageJsonText(file, saved)
    const text = lockfile === existing ? undefined : stringifyLockfile(lockfile, session.project.format)
    const lockChanged =
      text !== undefined &&
      (existing === undefined || text !== stringifyLockfile(existing, session.project.format))
    // npm update writes its lockfile even with --no-save (it never saves package.json unasked)
    const writesLockfile =
      usesLockfile && (saves || (change.lockfileDespiteNoSave === true && !dryRun)) && lockChanged
    const summary = change.describe(lockfile, saved, existing)
    if (dryRun) {
      for (const line of summary.lines) reporter.info(`dry run, not done: ${line}`)
      if (json)
        writeJson({
          command,
          dryRun: true,
          ...summary.json,
          packageJson: packageText ? 'would change' : 'unchanged',
        })
      return await reportDryRun(session, lockfile, { lockChanged })
    }
    const writeFiles = async () => {
      if (writesLockfile) await writeLockfileText(session.lockPath, text!)
      if (packageText !== undefined) await writePackageJsonText(file.path, packageText)
    }
    let result: NodeModulesResult | undefined
    if (scheduler) {
      state = 'package.json and package-lock.json are as they were; putting node_modules back as it was'
      result = await installOrRollBack(session, lockfile, scheduler, (back) => {
        putBack = back
      })
      putBack = undefined
      state =
        'node_modules is up to date, package.json and package-lock.json are as they were: run the command again'
    }
    // npm builds (runs install scripts) before it saves package.json and the lockfile: a failing
    // script of a required package leaves both as they were.
    const scripts = result ? await import('./_scripts.js') : undefined
    const skipped = result
      ? await (await import('./_script-jobs.js')).runDependencyScripts(session, lockfile, result, session)
      : undefined
    await writeFiles()
    state = 'package.json, package-lock.json and node_modules are up to date'
    reporter.stop()
    for (const line of summary.lines) reporter.info(line)
    const files = [
      packageText !== undefined ? 'package.json' : undefined,
      writesLockfile ? 'package-lock.json' : undefined,
    ].filter(Boolean)
    if (result) {
      const { reportInstalled } = await import('./_session.js')
      reportInstalled(session, result)
      scripts!.reportSkippedScripts(skipped, reporter, session.approveHint)
    } else {
      reporter.info(
        `${files.length > 0 ? `wrote ${files.join(' and ')}` : 'nothing to write'} in ${elapsed(session)}`,
      )
    }
    if (json) {
      writeJson({
        command,
        ...summary.json,
        packageJson: packageText !== undefined ? 'written' : 'unchanged',
        lockfile: writesLockfile ? 'written' : lockChanged ? 'not written' : 'unchanged',
        nodeModules: result
          ? { added: result.added, removed: result.removed, changed: result.changed, kept: result.kept }
          : null,
      })
    }
    await finishTrace(session)
    return 0
  } finally {
    stopHandlingInterrupts()
    reporter.stop()
    await Promise.all([scheduler?.close(), client.close()])
    // an interrupted run lets go of the lock when it exits, after putting node_modules back
    if (!interruption()) lock?.release()
  }
}

function writeJson(document: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(document, null, 2)}\n`)
}

/**
 * Puts node_modules back as its hidden lockfile said before this run (`before`; nothing when there
 * was none), with a scheduler and registry client of its own (an interrupted run's are closed): the
 * packages come from the content cache, where an install by tote left them.
 */
async function rollBack(session: Session, before: Lockfile | undefined): Promise<void> {
  const { config, reporter } = session
  const { installNodeModules, createInstallScheduler } = await import('./_install.js')
  const client = createRegistryClient(registryClientOptions(config, () => {}))
  const scheduler = createInstallScheduler(client, config, reporter, session)
  try {
    const previous: Lockfile = before ?? { lockfileVersion: 3, requires: true, packages: {} }
    await installNodeModules({
      projectDir: config.projectDir,
      lockfile: previous,
      config,
      scheduler,
      reporter,
    })
    // what the stopped run touched is back as the hidden lockfile says, even where nothing was placed
    markDone(join(config.projectDir, 'node_modules'))
  } finally {
    await Promise.all([scheduler.close(), client.close()])
  }
}

/**
 * Makes node_modules match `lockfile`. When that fails (a tarball that cannot be fetched, a full
 * disk) or is interrupted (`onInterrupt` is handed what puts it back), node_modules is put back as it
 * was, so that with the old package.json and package-lock.json the project is as it was; the first
 * error is thrown.
 */
async function installOrRollBack(
  session: Session,
  lockfile: Lockfile,
  scheduler: Scheduler,
  onInterrupt: (putBack: () => Promise<void>) => void,
): Promise<NodeModulesResult> {
  const { config, reporter, tracer } = session
  const { installNodeModules } = await import('./_install.js')
  const before = await readLockfile(join(config.projectDir, 'node_modules', HIDDEN_LOCKFILE)).catch(
    () => undefined,
  )
  onInterrupt(async () => {
    try {
      await rollBack(session, before)
      process.stderr.write('tote: node_modules is back as it was\n')
    } catch (error) {
      process.stderr.write(
        `tote: node_modules could not be put back (${(error as Error).message.split('\n')[0]}): run \`tote install\` to make it match package-lock.json\n`,
      )
    }
  })
  try {
    return await installNodeModules({
      projectDir: config.projectDir,
      lockfile,
      config,
      scheduler,
      reporter,
      tracer,
    })
  } catch (error) {
    if (interruption()) throw error
    reporter.stop()
    reporter.warn({
      code: 'EROLLBACK',
      message: `installing failed (${(error as Error).message.split('\n')[0]}); putting node_modules back as it was`,
    })
    try {
      await rollBack(session, before)
    } catch (rollback) {
      throw new ToteError(
        'EROLLBACKFAILED',
        `Installing failed, and node_modules could not be put back as it was: ${(rollback as Error).message}`,
        {
          hint: 'package.json and package-lock.json are as they were: run `tote install` to make node_modules match them.',
          cause: error,
        },
      )
    }
    throw error
  }
}
