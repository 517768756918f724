import type { Scheduler } from '@tote/scheduler'
import type { Lockfile } from '@tote/types'
import { checkInstallStrategy } from './_install-checks.js'
import type { Session } from './_open-project.js'
import type { InstallPlan } from './_plan.js'
import { finishTrace, reportInstalled } from './_report.js'
import { createScriptJobs } from './_script-jobs.js'
import { reportSkippedScripts, runProjectScripts, scriptsMayRun } from './_scripts.js'

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
  /** The plan of `lockfile` for this session, when the caller made it already (`tote ci` checks it first). */
  plan?: InstallPlan,
): Promise<number> {
  const { config, reporter, tracer } = session
  // Lazy for start-up, not for a cycle: the install stages (and tinypool) are no part of
  // `--lockfile-only`'s or `--dry-run`'s start-up.
  const { installNodeModules } = await import('./_install.js')
  checkInstallStrategy(config)
  // dependencies' scripts start while the tree is placed, each once its part of it is there
  const jobs = createScriptJobs(session, lockfile, scheduler, session)
  const result = await installNodeModules({
    projectDir: config.projectDir,
    lockfile,
    config,
    scheduler,
    reporter,
    tracer,
    filter: session.filter,
    scriptsMayRun: scriptsMayRun(session, lockfile, session),
    scripts: jobs,
    plan,
  }).catch(async (error: unknown) => {
    await jobs.cancel()
    throw error
  })
  const skipped = await jobs.finish()
  await afterInstall?.()
  reporter.stop()
  await runProjectScripts(session, session.command)
  reportInstalled(session, result)
  reportSkippedScripts(skipped, reporter, session.approveHint)
  await finishTrace(session)
  return 0
}
