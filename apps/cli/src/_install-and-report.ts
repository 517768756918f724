import type { Scheduler } from '@tote/scheduler'
import type { Lockfile } from '@tote/types'
import { checkInstallStrategy } from './_install-checks.js'
import type { Session } from './_open-project.js'
import { finishTrace, reportInstalled } from './_report.js'
import { reportSkippedScripts, runDependencyScripts, runProjectScripts, scriptsMayRun } from './_scripts.js'

/**
 * The end of `tote install` and `tote ci`: node_modules as the lockfile says, the dependencies'
 * and the project's scripts, the closing lines, the trace.
 */
export async function installAndReport(
  session: Session,
  lockfile: Lockfile,
  scheduler: Scheduler,
  /** Runs once node_modules is complete (install writes package-lock.json there, as npm does last). */
  afterInstall?: () => Promise<void>,
): Promise<number> {
  const { config, reporter, tracer } = session
  // Lazy for start-up, not for a cycle: the install stages (and tinypool) are no part of
  // `--lockfile-only`'s or `--dry-run`'s start-up.
  const { installNodeModules } = await import('./_install.js')
  checkInstallStrategy(config)
  const result = await installNodeModules({
    projectDir: config.projectDir,
    lockfile,
    config,
    scheduler,
    reporter,
    tracer,
    filter: session.filter,
    scriptsMayRun: scriptsMayRun(session, lockfile, session),
  })
  const skipped = await runDependencyScripts(session, lockfile, result, session)
  await afterInstall?.()
  reporter.stop()
  await runProjectScripts(session, session.command)
  reportInstalled(session, result)
  reportSkippedScripts(skipped, reporter, session.approveHint)
  await finishTrace(session)
  return 0
}
