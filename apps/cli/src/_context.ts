import type { ConfigFlags, ToteConfig } from '@tote/config'
import type { CommandContext } from './_commands.js'
import { createReporter, type LogLevel, type Reporter } from './_reporter.js'

/** The flags for @tote/config: npm's keys as given, and tote's own cache folder. */
export function configFlags(context: CommandContext): ConfigFlags {
  // multiple: true is only ever given to string options, so arrays hold strings
  const flags = { ...context.npmFlags } as ConfigFlags
  // npm's shorthands for loglevel: npm's loader expands them, but tote hands it the level itself.
  const { silent, quiet, verbose } = flags
  delete flags.silent
  delete flags.quiet
  delete flags.verbose
  if (flags.loglevel === undefined) {
    const level = silent ? 'silent' : verbose ? 'verbose' : quiet ? 'warn' : undefined
    if (level) flags.loglevel = level
  }
  const cacheDir = context.values['cache-dir'] ?? context.values.cache
  if (typeof cacheDir === 'string') flags['cache-dir'] = cacheDir
  return flags
}

/** npm's log levels as the reporter's: warnings from `warn` up, details from `verbose` up. */
const LEVELS: Record<string, LogLevel> = {
  silent: 'silent',
  error: 'error',
  warn: 'normal',
  notice: 'normal',
  http: 'normal',
  timing: 'normal',
  info: 'normal',
  verbose: 'verbose',
  silly: 'verbose',
}

/** The reporter for npm's effective `loglevel` (flags, npmrc, `npm_config_loglevel`) and `progress`. */
export function createReporterFor(config: Pick<ToteConfig, 'get'>): Reporter {
  const loglevel = config.get('loglevel')
  const level = (typeof loglevel === 'string' && LEVELS[loglevel]) || 'normal'
  return createReporter({ level, progress: config.get('progress') !== false, color: config.get('color') })
}
