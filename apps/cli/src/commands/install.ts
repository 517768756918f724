import { lockfileFormat, readLockfile, stringifyLockfile, writeLockfileText } from '@tote/lockfile'
import type { Lockfile } from '@tote/types'
import type { CommandContext } from '../_command-types.js'
import { installAndReport } from '../_install-and-report.js'
import { checkEngines, checkInstallStrategy, lockfileMatchingProject } from '../_install-checks.js'
import { parseInstallOptions } from '../_install-options.js'
import { exitOnInterrupt } from '../_interrupt.js'
import { openSession } from '../_open-project.js'
import { lockForInstall } from '../_project-lock.js'
import { createProjectResolver } from '../_project-resolver.js'
import { elapsed, finishTrace, plural, reportDryRun } from '../_report.js'
import { removeStaleTempFilesInBackground } from '../_temp-files.js'
import { traced } from '../_trace.js'

/**
 * `tote install`: resolves (reusing an up-to-date lockfile as is), writes package-lock.json, then
 * makes node_modules match it. Tarballs start downloading while the resolver is still working.
 */
export async function run(context: CommandContext): Promise<number> {
  // `tote install <spec...>` is `tote add`; --json goes through the same flow. add.js loads lazily
  // for start-up (a plain install needs no package.json editing), not for a cycle.
  if (context.positionals.length > 0 || context.values.json === true)
    return (await import('./add.js')).run(context)
  const session = await openSession(context, parseInstallOptions(context))
  const { reporter, config, project, client } = session
  checkInstallStrategy(config)
  const lockfileOnly =
    context.values['lockfile-only'] === true || context.values['package-lock-only'] === true
  const dryRun = context.values['dry-run'] === true || config.get('dry-run') === true
  const frozen = context.values['frozen-lockfile'] === true
  // npm: --no-package-lock neither reads nor writes it; --no-save does not write it.
  const usesLockfile = config.get('package-lock') !== false
  const writesLockfile = usesLockfile && config.get('save') !== false && !dryRun && !frozen
  const installs = !lockfileOnly && !dryRun
  const folders = { cacheDir: config.cacheDir, projectDir: config.projectDir }
  // What killed runs left (never awaited); a dry run changes nothing, not even that.
  if (!dryRun) removeStaleTempFilesInBackground(folders, reporter.debug)
  // One run at a time changes a project's node_modules; --lockfile-only only replaces one file.
  const lock = installs ? await lockForInstall(session) : undefined
  // The install stages load only for an install (lazily for start-up, not for a cycle):
  // `--lockfile-only` starts without them.
  const scheduler = installs
    ? (await import('../_install.js')).createInstallScheduler(
        client,
        config,
        reporter,
        session,
        session.tracer,
      )
    : undefined
  /** What an interruption leaves behind, as the install goes on. */
  let state = 'package-lock.json and node_modules are as they were'
  const stopHandlingInterrupts = exitOnInterrupt({
    command: 'install',
    reporter,
    folders,
    state: () => state,
    stop: () => Promise.all([scheduler?.close(), client.close()]),
    release: () => lock?.release(),
  })
  try {
    const existing = usesLockfile ? await readLockfile(session.lockPath) : undefined
    if (existing) scheduler?.warmUp(Object.keys(existing.packages).length)
    let lockfile: Lockfile
    let stats = { packages: 0, packuments: 0 }
    if (frozen) lockfile = lockfileMatchingProject(session, existing, '--frozen-lockfile')
    else {
      const resolver = createProjectResolver(session, context, scheduler)
      reporter.phase('resolving')
      const resolved = await traced(session.tracer, 'phase', 'resolve', () =>
        resolver.resolve(project.manifest, {
          lockfile: existing,
          // npm 6's lockfile: completed from the registry, then written back as version 3
          oldLockfile: existing !== undefined && lockfileFormat(existing)?.lockfileVersion === 1,
          workspaces: session.workspaces,
          projectDir: config.projectDir,
        }),
      )
      lockfile = resolved.lockfile
      stats = resolved.stats
      // The tree is settled: the packuments' memory serves the tarballs that come next (ant-design:
      // ~80 MB of documents and their parsed versions).
      if (scheduler) client.forgetDocuments()
    }
    checkEngines(session, lockfile)
    // An up-to-date lockfile comes back as it was read: it is not laid out again (ant-design's takes
    // ~60 ms), nor rewritten.
    const text = lockfile === existing ? undefined : stringifyLockfile(lockfile, project.format)
    const lockChanged =
      text !== undefined && (existing === undefined || text !== stringifyLockfile(existing, project.format))
    const saveLockfile = async () => {
      if (lockChanged && writesLockfile) await writeLockfileText(session.lockPath, text)
    }
    if (dryRun) return await reportDryRun(session, lockfile, { lockChanged })
    if (lockfileOnly || !scheduler) {
      await saveLockfile()
      reporter.stop()
      const what = !lockChanged
        ? 'package-lock.json is up to date'
        : writesLockfile
          ? 'wrote package-lock.json'
          : 'package-lock.json not written (--no-save or --no-package-lock)'
      reporter.info(
        `resolved ${plural(stats.packages, 'package')} (${plural(stats.packuments, 'registry document')}) in ${elapsed(session)}; ${what}`,
      )
      await finishTrace(session)
      return 0
    }
    state = 'package-lock.json is as it was, node_modules is incomplete: run `tote install` to finish it'
    // Written last, as npm does: a run that fails or is stopped while installing leaves the old one.
    return await installAndReport(session, lockfile, scheduler, async () => {
      await saveLockfile()
      state = 'package-lock.json and node_modules are up to date'
    })
  } finally {
    stopHandlingInterrupts()
    reporter.stop()
    await Promise.all([scheduler?.close(), client.close()])
    lock?.release()
  }
}
