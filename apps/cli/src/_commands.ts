import type { ParseArgsConfig } from 'node:util'

/** What a command's module exports; loaded only when that command runs. */
export interface CommandModule {
  run(context: CommandContext): Promise<number | undefined>
}

/** Parsed arguments handed to a command. */
export interface CommandContext {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>
  positionals: string[]
  cwd: string
  /** Loads a contributor's module (--cloner); see Host in main.ts. */
  importModule?: ((specifier: string) => Promise<unknown>) | undefined
}

export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  multiple?: boolean
  /** Placeholder shown in help, for string options. */
  arg?: string
  description: string
}

export interface CommandSpec {
  name: string
  aliases?: string[]
  summary: string
  usage: string
  /** Lines of help after the summary: subcommands, exit codes. */
  details?: string[]
  options: Record<string, OptionSpec>
  load: () => Promise<CommandModule>
}

/** Options of the commands that write node_modules. */
function installOptions(): Record<string, OptionSpec> {
  return {
    omit: {
      type: 'string',
      multiple: true,
      arg: 'dev|optional|peer',
      description: 'Leave out a dependency type (repeatable)',
    },
    'ignore-scripts': {
      type: 'boolean',
      description: 'Run no lifecycle scripts (tote does not run them yet)',
    },
    trace: {
      type: 'string',
      arg: 'file',
      description: 'Write a Chrome trace (Perfetto) of every job; with --verbose, a summary per stage',
    },
    cloner: {
      type: 'string',
      arg: 'module',
      description: 'Clone with another cloner module (exports createCloner), to compare stages',
    },
    workers: {
      type: 'string',
      arg: 'n',
      description: 'Worker threads for unpacking and cloning (0: all on the main thread)',
    },
    'fetch-workers': {
      type: 'string',
      arg: 'n',
      description: 'Worker threads that fetch and scan packuments (0: on the main thread)',
    },
    'linker-strategy': {
      type: 'string',
      arg: 'auto|hardlink|copy|reflink',
      description: 'How files go from the cache into node_modules (default: auto)',
    },
  }
}

/** npm configuration keys a command takes as flags; they override every .npmrc. */
function configOptions(): Record<string, OptionSpec> {
  return {
    registry: { type: 'string', arg: 'url', description: 'Registry URL (default: from npm configuration)' },
    'cache-dir': { type: 'string', arg: 'dir', description: "tote's cache folder (default: ~/.cache/tote)" },
    'legacy-peer-deps': { type: 'boolean', description: 'Do not install peer dependencies' },
    offline: { type: 'boolean', description: 'Use cached metadata only; never touch the network' },
    'prefer-offline': { type: 'boolean', description: 'Use cached metadata without revalidating it' },
    'prefer-online': { type: 'boolean', description: 'Revalidate cached metadata every time' },
  }
}

/** Options every command takes. */
export const globalOptions: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', description: 'Show help' },
  version: { type: 'boolean', short: 'v', description: 'Print the version' },
  silent: { type: 'boolean', description: 'Print nothing but errors' },
  verbose: { type: 'boolean', description: 'Print details of every step' },
  cwd: { type: 'string', arg: 'dir', description: 'Run as if started in <dir>' },
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
      'lockfile-only': { type: 'boolean', description: 'Resolve and write package-lock.json only' },
      'package-lock-only': { type: 'boolean', description: 'Same as --lockfile-only (npm spelling)' },
      'npm-peer-sets': {
        type: 'boolean',
        description:
          "Weigh optional peers nothing installs, with their peers, as npm does (more requests; the tree then matches npm's even where such a peer would conflict)",
      },
      ...installOptions(),
      ...configOptions(),
    },
    load: () => import('./commands/install.js'),
  },
  {
    name: 'ci',
    aliases: ['clean-install'],
    summary: 'Install exactly what package-lock.json says, into a fresh node_modules',
    usage: 'tote ci [options]',
    options: { ...installOptions(), ...configOptions() },
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
    options: { 'cache-dir': configOptions()['cache-dir']! },
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
