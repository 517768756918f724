import { loadConfig } from '@tote/config'
import { createContentCache, type VerifiedEntry } from '@tote/content-cache'
import type { CommandContext } from '../_command-types.js'
import { usageError } from '../_errors.js'
import { configFlags } from '../_options.js'
import { createReporterFor } from '../_reporter.js'

/** `tote cache verify`: checks every entry of the content cache fully, removing damaged ones. */
export async function run(context: CommandContext): Promise<number> {
  const [subcommand, ...rest] = context.positionals
  if (subcommand !== 'verify' || rest.length > 0) {
    const given =
      subcommand === undefined ? 'No subcommand given.' : `Unknown: "${context.positionals.join(' ')}".`
    throw usageError('EUSAGE', `tote cache wants a subcommand. ${given}`, 'Run `tote cache verify`.')
  }
  const started = performance.now()
  const config = await loadConfig({ cwd: context.cwd, flags: configFlags(context) })
  const reporter = createReporterFor(config)
  reporter.phase('verifying the cache')
  const summary = await createContentCache({ dir: config.cacheDir }).verify({
    onEntry(entry) {
      if (entry.status === 'damaged') reporter.info(`damaged: ${describe(entry)}`)
      else if (entry.status === 'outdated') reporter.debug(`outdated: ${describe(entry)}`)
    },
  })
  reporter.stop()
  const seconds = ((performance.now() - started) / 1000).toFixed(2)
  reporter.info(
    `${summary.entries} entries checked (${summary.files} files, ${formatBytes(summary.bytes)}) in ${seconds}s: ` +
      `${summary.damaged.length} damaged, ${summary.outdated} outdated, ${summary.removed} removed (${formatBytes(summary.removedBytes)})`,
  )
  if (summary.damaged.length === 0) return 0
  reporter.info('The removed packages are fetched again by the next install.')
  return 1
}

function describe(entry: VerifiedEntry): string {
  const what = entry.identity
    ? `${entry.identity.name}@${entry.identity.version} (${entry.integrity})`
    : entry.integrity
  return `${what}: ${entry.reason}${entry.removed ? '; removed' : ''}`
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${units[unit]}`
}
