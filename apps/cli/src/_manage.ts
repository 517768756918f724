import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  isLockfileInSync,
  lockfileFormat,
  parseLockfile,
  readLockfile,
  stringifyLockfile,
  writeLockfileText,
} from '@tote/lockfile'
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
import type { CommandContext } from './_command-types.js'
import type { NodeModulesResult } from './_install.js'
import { checkInstallStrategy, lockfileMatchingProject } from './_install-checks.js'
import { parseInstallOptions } from './_install-options.js'
import { exitOnInterrupt, interruption } from './_interrupt.js'
import { openSession, type Session } from './_open-project.js'
import { lockForInstall } from './_project-lock.js'
import { createProjectResolver, createSpecReaders, type SpecReaders } from './_project-resolver.js'
import { elapsed, finishTrace, reportDryRun, reportInstalled } from './_report.js'
import { createScriptJobs, type ScriptJobs } from './_script-jobs.js'
import { reportSkippedScripts } from './_scripts.js'
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
  /** The readers of folders, tarballs and git repositories the resolve will use (read once per run). */
  readers: SpecReaders
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
  const session = await openSession(context, parseInstallOptions(context))
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
  // The install stages (_install.js, here and below) load lazily for start-up, not for a cycle:
  // --lockfile-only and --dry-run run without them.
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
    const readers = createSpecReaders(session)
    const change = await plan({ session, file, savePrefix: savePrefixOf(config), readers })
    const existing = usesLockfile ? await readLockfile(session.lockPath) : undefined
    // Threads are started ahead only for a tree that is not there yet: on an installed project an
    // add, remove or update places a few packages, on this thread, and what the resolver prefetches
    // waits for that choice (see @tote/scheduler's warmUp).
    const installed = existsSync(join(config.projectDir, 'node_modules', HIDDEN_LOCKFILE))
    if (existing) scheduler?.warmUp(installed ? 0 : Object.keys(existing.packages).length)
    const resolver = createProjectResolver(session, context, scheduler, readers)
    let lockfile: Lockfile
    let saved: Record<string, unknown> | undefined
    if (change.frozen) lockfile = lockfileMatchingProject(session, existing, '--frozen-lockfile')
    else {
      reporter.phase('resolving')
      const resolved = await traced(session.tracer, 'phase', 'resolve', () =>
        resolver.resolve(change.manifest, {
          lockfile: change.fresh ? undefined : existing,
          oldLockfile:
            !change.fresh && existing !== undefined && lockfileFormat(existing)?.lockfileVersion === 1,
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
        // the same tree with them, or (when that cannot be shown) resolved again from itself.
        const manifest = withMaps(change.manifest, toSave.maps as Record<string, unknown>)
        lockfile =
          withSavedSpecs(lockfile, manifest, session.workspaces.length > 0) ??
          (
            await resolver.resolve(manifest, {
              lockfile,
              workspaces: session.workspaces,
              projectDir: config.projectDir,
            })
          ).lockfile
      }
    }
    const packageText = saved === undefined ? undefined : packageJsonText(file, saved)
    const text = lockfile === existing ? undefined : stringifyLockfile(lockfile, session.project.format)
    // another project entry is another file, without laying out the old one (a fifth of a second on
    // ant-design) to see it
    const lockChanged =
      text !== undefined &&
      (existing === undefined ||
        JSON.stringify(lockfile.packages['']) !== JSON.stringify(existing.packages['']) ||
        text !== stringifyLockfile(existing, session.project.format))
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
    // dependencies' scripts start while the tree is placed, as in `tote install`
    const jobs = scheduler ? createScriptJobs(session, lockfile, scheduler, session) : undefined
    if (scheduler && jobs) {
      state = 'package.json and package-lock.json are as they were; putting node_modules back as it was'
      result = await installOrRollBack(session, lockfile, scheduler, jobs, (back) => {
        putBack = back
      })
      putBack = undefined
      state =
        'node_modules is up to date, package.json and package-lock.json are as they were: run the command again'
    }
    // npm builds (runs install scripts) before it saves package.json and the lockfile: a failing
    // script of a required package leaves both as they were.
    const skipped = jobs ? await jobs.finish() : undefined
    await writeFiles()
    state = 'package.json, package-lock.json and node_modules are up to date'
    reporter.stop()
    for (const line of summary.lines) reporter.info(line)
    const files = [
      packageText !== undefined ? 'package.json' : undefined,
      writesLockfile ? 'package-lock.json' : undefined,
    ].filter(Boolean)
    if (result) {
      reportInstalled(session, result)
      reportSkippedScripts(skipped, reporter, session.approveHint)
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

const DEPENDENCY_FIELDS = [
  'dependencies',
  'devDependencies',
  'optionalDependencies',
  'peerDependencies',
] as const

/**
 * The resolved tree with the project entry that the saved specs make: the resolve placed versions
 * for the specs asked for (`zod`, `zod@latest`), and the saved specs (`^4.6.7`) name those versions,
 * so the tree stays as it is and only the project's entry changes, its keys in the resolver's order.
 * Resolving the whole tree again for that was a second of CPU on ant-design. Undefined when it cannot
 * be shown (a saved spec the installed version does not meet, a changed peerDependenciesMeta,
 * workspaces, whose entries are made again from their folders): the caller resolves again then.
 */
export function withSavedSpecs(
  lockfile: Lockfile,
  manifest: ProjectManifest,
  hasWorkspaces: boolean,
): Lockfile | undefined {
  const root = lockfile.packages['']
  if (root === undefined || hasWorkspaces) return undefined
  const meta = manifest.peerDependenciesMeta
  const wantedMeta = meta && Object.keys(meta).length > 0 ? meta : undefined
  if (JSON.stringify(wantedMeta) !== JSON.stringify(root.peerDependenciesMeta)) return undefined
  const entry: Record<string, unknown> = {}
  for (const key of ['name', 'version', 'license'] as const) {
    if (root[key] !== undefined) entry[key] = root[key]
  }
  for (const field of DEPENDENCY_FIELDS) {
    const map = manifest[field]
    if (map && Object.keys(map).length > 0) entry[field] = map
  }
  for (const [key, value] of Object.entries(root)) {
    if (!(key in entry) && !(DEPENDENCY_FIELDS as readonly string[]).includes(key)) entry[key] = value
  }
  const result: Lockfile = {
    ...lockfile,
    packages: { ...lockfile.packages, '': entry as Lockfile['packages'][''] },
  }
  return isLockfileInSync(result, manifest).inSync ? result : undefined
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
  jobs: ScriptJobs,
  onInterrupt: (putBack: () => Promise<void>) => void,
): Promise<NodeModulesResult> {
  const { config, reporter, tracer } = session
  const { installNodeModules } = await import('./_install.js')
  // the hidden lockfile as it is now, read as text: parsed only to put it back (that costs a
  // tenth of a second on ant-design, and the install reads it for itself)
  const hiddenPath = join(config.projectDir, 'node_modules', HIDDEN_LOCKFILE)
  const beforeText = await readFile(hiddenPath, 'utf8').catch(() => undefined)
  const before = () => {
    try {
      return beforeText === undefined ? undefined : parseLockfile(beforeText, { path: hiddenPath })
    } catch {
      return undefined
    }
  }
  onInterrupt(async () => {
    try {
      await rollBack(session, before())
      process.stderr.write('tote: node_modules is back as it was\n')
    } catch (error) {
      process.stderr.write(
        `tote: node_modules could not be put back (${(error as Error).message.split('\n')[0]}): run \`tote install\` to make it match package-lock.json\n`,
      )
    }
  })
  const { scriptsMayRun } = await import('./_scripts.js')
  try {
    return await installNodeModules({
      projectDir: config.projectDir,
      lockfile,
      config,
      scheduler,
      reporter,
      tracer,
      scriptsMayRun: scriptsMayRun(session, lockfile, session),
      scripts: jobs,
    })
  } catch (error) {
    // the scripts that started stop before node_modules is put back
    await jobs.cancel()
    if (interruption()) throw error
    reporter.stop()
    reporter.warn({
      code: 'EROLLBACK',
      message: `installing failed (${(error as Error).message.split('\n')[0]}); putting node_modules back as it was`,
    })
    try {
      await rollBack(session, before())
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
