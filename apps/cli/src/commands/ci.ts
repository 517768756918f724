import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { readLockfile } from '@tote/lockfile'
import type { CommandContext } from '../_command-types.js'
import { createInstallScheduler, projectFolders } from '../_install.js'
import { installAndReport } from '../_install-and-report.js'
import { checkEngines, checkInstallStrategy, lockfileMatchingProject } from '../_install-checks.js'
import { parseInstallOptions } from '../_install-options.js'
import { exitOnInterrupt } from '../_interrupt.js'
import { openSession } from '../_open-project.js'
import { planInstall, platformOf } from '../_plan.js'
import { LOCK_FILE, lockForInstall } from '../_project-lock.js'
import { reportDryRun } from '../_report.js'
import { removeStaleTempFilesInBackground } from '../_temp-files.js'
import { traced } from '../_trace.js'
import { HIDDEN_LOCKFILE } from '../_tree-state.js'

/**
 * `tote ci`: installs exactly what package-lock.json says, into an empty node_modules. Fails, and
 * changes nothing, when there is no lockfile or it does not match package.json.
 */
export async function run(context: CommandContext): Promise<number> {
  const session = await openSession(context, parseInstallOptions(context))
  const { reporter, config, client, tracer } = session
  // From the process's start to here: Node, the bundle, the configuration.
  tracer?.span('phase', 'start-up', performance.timeOrigin, performance.timeOrigin + performance.now(), 0)
  checkInstallStrategy(config)
  if (context.values['dry-run'] === true || config.get('dry-run') === true) {
    try {
      const lockfile = lockfileMatchingProject(session, await readLockfile(session.lockPath), 'tote ci')
      return await reportDryRun(session, lockfile, { lockChanged: false, fresh: true })
    } finally {
      await client.close()
    }
  }
  const folders = { cacheDir: config.cacheDir, projectDir: config.projectDir }
  removeStaleTempFilesInBackground(folders, reporter.debug)
  const lock = await lockForInstall(session)
  const scheduler = createInstallScheduler(client, config, reporter, session, session.tracer)
  /** What an interruption leaves behind, as the install goes on. */
  let state = 'package-lock.json and node_modules are as they were'
  const stopHandlingInterrupts = exitOnInterrupt({
    command: 'ci',
    reporter,
    folders,
    state: () => state,
    stop: () => Promise.all([scheduler.close(), client.close()]),
    release: () => lock.release(),
  })
  try {
    const lockfile = await traced(tracer, 'phase', 'read lockfile', async () =>
      lockfileMatchingProject(session, await readLockfile(session.lockPath), 'tote ci'),
    )
    checkEngines(session, lockfile)
    // what the lockfile asks for is checked (paths, links, sources) before node_modules is emptied
    await traced(tracer, 'phase', 'check plan', async () =>
      planInstall(lockfile, {
        projectDir: config.projectDir,
        omit: config.omit,
        registryFor: config.registryFor,
        platform: platformOf(config),
        allowGit: config.get('allow-git'),
        filter: session.filter,
      }),
    )
    scheduler.warmUp(Object.keys(lockfile.packages).length)
    state = 'node_modules is incomplete: run `tote ci` again'
    await traced(tracer, 'phase', 'empty node_modules', async () => {
      await emptyNodeModules(join(config.projectDir, 'node_modules'))
      // and each workspace's own node_modules (npm ci empties them too)
      for (const folder of projectFolders(config.projectDir, lockfile)) {
        await emptyFolder(join(config.projectDir, folder, 'node_modules'))
      }
    })
    return await installAndReport(session, lockfile, scheduler)
  } finally {
    stopHandlingInterrupts()
    reporter.stop()
    await Promise.all([scheduler.close(), client.close()])
    lock.release()
  }
}

/**
 * Everything in node_modules goes but the lock this run holds. The hidden lockfile goes first: a
 * run killed half-way through must not leave it to vouch for folders that are half deleted.
 */
async function emptyNodeModules(nodeModules: string): Promise<void> {
  await rm(join(nodeModules, HIDDEN_LOCKFILE), { force: true })
  const names = await readdir(nodeModules)
  await Promise.all(
    names
      .filter((name) => name !== LOCK_FILE)
      .map((name) => rm(join(nodeModules, name), { recursive: true, force: true })),
  )
}

/** Everything in a workspace's node_modules goes (not the folder itself, nor anything it links to). */
async function emptyFolder(nodeModules: string): Promise<void> {
  const names = await readdir(nodeModules).catch(() => [])
  await Promise.all(names.map((name) => rm(join(nodeModules, name), { recursive: true, force: true })))
}
