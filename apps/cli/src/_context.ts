import type { ConfigFlags } from '@tote/config'
import type { CommandContext } from './_commands.js'
import { createReporter, type Reporter } from './_reporter.js'

/** The CLI flags that are npm configuration keys, handed to @tote/config (highest precedence). */
const CONFIG_FLAGS = [
  'registry',
  'cache-dir',
  'ignore-scripts',
  'omit',
  'include',
  'legacy-peer-deps',
  'offline',
  'prefer-offline',
  'prefer-online',
] as const

export function configFlags(values: CommandContext['values']): ConfigFlags {
  const flags: ConfigFlags = {}
  for (const key of CONFIG_FLAGS) {
    const value = values[key]
    if (value !== undefined) flags[key] = value as ConfigFlags[string]
  }
  return flags
}

export function createReporterFor(context: CommandContext): Reporter {
  const level = context.values.silent ? 'silent' : context.values.verbose ? 'verbose' : 'normal'
  return createReporter({ level })
}
