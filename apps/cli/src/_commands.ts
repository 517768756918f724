import type { ParseArgsConfig } from 'node:util'
import { globalOptions, installOptions, type OptionSpec, registryOptions, saveOptions } from './_options.js'

export { globalOptions, type OptionSpec }

/** What a command's module exports; loaded only when that command runs. */
export interface CommandModule {
  run(context: CommandContext): Promise<number | undefined>
}

/** Parsed arguments handed to a command. */
export interface CommandContext {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>
  /** The flags that are npm configuration keys, for npm's configuration loader. */
  npmFlags: Record<string, string | boolean | (string | boolean)[]>
  positionals: string[]
  cwd: string
  /** Loads a contributor's stage module (--stage, --cloner); see Host in main.ts. */
  importModule?: ((specifier: string) => Promise<unknown>) | undefined
}

export interface CommandSpec {
  name: string
  aliases?: string[]
  summary: string
  usage: string
  /** Lines of help after the summary: subcommands, exit codes. */
  details?: string[]
  options: Record<string, OptionSpec>
  /** What the command does with positional arguments; without it, giving one is an error. */
  positionals?: string
  load: () => Promise<CommandModule>
}

/**
 * The command table. Only names, summaries and options live here, so help and argument checking
 * never load a command's code.
 */
export const commands: CommandSpec[] = [
  {
    name: 'install',
    aliases: ['i'],
    summary: 'Resolve dependencies, write package-lock.json and install node_modules',
    usage: 'tote install [options]',
    options: {
      'lockfile-only': {
        type: 'boolean',
        kind: 'tote',
        description: 'Resolve and write package-lock.json only',
      },
      'package-lock-only': {
        type: 'boolean',
        kind: 'tote',
        description: 'Same as --lockfile-only (npm spelling)',
      },
      'frozen-lockfile': {
        type: 'boolean',
        kind: 'tote',
        description:
          "Install package-lock.json as it is; fail if it does not match package.json (ci's check, without emptying node_modules)",
      },
      'dry-run': {
        type: 'boolean',
        kind: 'tote',
        description: 'Resolve and say what would change; write nothing',
      },
      'npm-peer-sets': {
        type: 'boolean',
        kind: 'tote',
        description:
          "Weigh optional peers nothing installs, with their peers, as npm does (more requests; the tree then matches npm's even where such a peer would conflict)",
      },
      ...saveOptions(),
      ...installOptions(),
      ...registryOptions(),
    },
    load: () => import('./commands/install.js'),
  },
  {
    name: 'ci',
    aliases: ['clean-install'],
    summary: 'Install exactly what package-lock.json says, into a fresh node_modules',
    usage: 'tote ci [options]',
    options: {
      'frozen-lockfile': {
        type: 'boolean',
        kind: 'tote',
        description: 'Accepted: ci always checks that package-lock.json matches package.json',
      },
      'dry-run': {
        type: 'boolean',
        kind: 'tote',
        description: 'Check package-lock.json and say what would be installed; write nothing',
      },
      ...installOptions(),
      ...registryOptions(),
    },
    load: () => import('./commands/ci.js'),
  },
  {
    name: 'cache',
    summary: "Check tote's content cache",
    usage: 'tote cache verify [options]',
    details: [
      'Subcommands:',
      '  verify  Check every cached package fully: each file against the hash recorded when it was',
      '          cached, its size and its mtime. Damaged entries are removed, and the next install',
      '          fetches them again. Prints what it checked and found.',
      '',
      'Exit code: 0 when every entry is whole, 1 when damaged entries were found (and removed),',
      '2 for a usage error.',
    ],
    options: { 'cache-dir': registryOptions()['cache-dir']! },
    positionals: 'a subcommand: verify',
    load: () => import('./commands/cache.js'),
  },
]

export function findCommand(name: string): CommandSpec | undefined {
  return commands.find((command) => command.name === name || command.aliases?.includes(name))
}

export function toParseArgsOptions(
  options: Record<string, OptionSpec>,
): NonNullable<ParseArgsConfig['options']> {
  const result: NonNullable<ParseArgsConfig['options']> = {}
  for (const [name, spec] of Object.entries(options)) {
    result[name] = {
      type: spec.type,
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
    }
  }
  return result
}
