import type { Lockfile } from '@tote/types'
import type { NodeModulesResult } from './_install.js'
import type { Session } from './_open-project.js'

// The last step of the commands that resolve or install: npm's closing lines, the dry run's
// account of what would change, and the --trace file.

/** npm's `1 package`, `2 packages`. */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`
}

/** Time since the command opened the project, as the closing line shows it. */
export function elapsed(session: Pick<Session, 'started'>): string {
  return `${((performance.now() - session.started) / 1000).toFixed(2)}s`
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
export function reportInstalled(
  session: Pick<Session, 'reporter' | 'started'>,
  result: NodeModulesResult,
): void {
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
  // Lazy for start-up, not for a cycle: `install --lockfile-only` never reads node_modules.
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

/** Writes the --trace file, and with --verbose prints where the time went. */
export async function finishTrace(
  session: Pick<Session, 'tracer' | 'tracePath' | 'reporter'>,
): Promise<void> {
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
