import { parseArgs } from 'node:util'
import { colourOn } from './_colour.js'
import type { CommandContext } from './_command-types.js'
import {
  type CommandSpec,
  commands,
  findCommand,
  globalOptions,
  type OptionSpec,
  toParseArgsOptions,
} from './_commands.js'
import { reportError, usageError } from './_errors.js'
import { commandHelp, mainHelp } from './_help.js'
import { interruption } from './_interrupt.js'
import { useExtraCaFile } from './_stages.js'
import { closest } from './_suggest.js'

declare const TOTE_VERSION: string

/** What the program that runs the CLI provides (bin/tote.js). */
export interface Host {
  /** `import()` from a real module: code compiled through node:vm cannot use its own (see bin/tote.js). */
  importModule?: (specifier: string) => Promise<unknown>
  /**
   * NODE_EXTRA_CA_CERTS, when the launcher kept it from Node's start-up: the registry client reads
   * it when it first connects.
   */
  extraCaFile?: string | undefined
}

/** Runs the CLI with `argv` (without node and the script) and sets `process.exitCode`. */
export async function main(argv: string[], host: Host = {}): Promise<void> {
  // Node's own warnings (a listener count, an experimental API) are for tote's developers, not its users.
  process.removeAllListeners('warning')
  useExtraCaFile(host.extraCaFile)
  if (
    argv.includes('--verbose') ||
    argv.includes('--loglevel=verbose') ||
    argv.includes('--loglevel=silly')
  ) {
    process.on('warning', (warning) =>
      process.stderr.write(`tote: node warning: ${warning.stack ?? warning.message}\n`),
    )
  }
  // npm's `--color=always` (a boolean flag here): colour wherever the output goes
  if (colorFlag(argv) === 'always') process.env.FORCE_COLOR = '1'
  try {
    const code = (await dispatch(argv, host)) ?? 0
    if (!interruption()) process.exitCode = code
  } catch (error) {
    // An interrupted run has said its last line and exits with the signal's code; what the work it
    // stopped threw is no news.
    if (!interruption())
      process.exitCode = reportError(
        error,
        argv.includes('--verbose'),
        colourOn(process.stderr, colorFlag(argv)),
      )
  }
}

/** npm's `color` as the command line gives it (npmrc files are read later, by each command). */
function colorFlag(argv: string[]): boolean | 'always' {
  if (argv.includes('--no-color') || argv.includes('--color=false')) return false
  return argv.includes('--color=always') ? 'always' : true
}

async function dispatch(argv: string[], host: Host): Promise<number | undefined> {
  const first = argv[0]
  if (first === undefined || first.startsWith('-')) {
    const { values } = parse(argv, globalOptions, false)
    if (values.version) {
      process.stdout.write(`${TOTE_VERSION}\n`)
      return 0
    }
    if (values.help || first === undefined) {
      process.stdout.write(mainHelp(TOTE_VERSION))
      return first === undefined ? 1 : 0
    }
    throw usageError('ENOCOMMAND', 'No command given.', 'Run `tote --help` to see the commands.')
  }
  if (first === 'help') {
    const topic = argv[1]
    if (topic === undefined) {
      process.stdout.write(mainHelp(TOTE_VERSION))
      return 0
    }
    const command = findCommand(topic)
    if (!command) throw unknownCommand(topic, `There is no help on "${topic}": it is not a tote command.`)
    process.stdout.write(commandHelp(command))
    return 0
  }
  const command = findCommand(first)
  if (!command) throw unknownCommand(first, `Unknown command "${first}".`)
  const options = { ...command.options, ...globalOptions }
  const { flags, rest } = command.passThrough
    ? splitAtCommand(argv.slice(1), options)
    : { flags: argv.slice(1), rest: [] }
  const parsed = parse(flags, options, true)
  const values = parsed.values
  const positionals = [...parsed.positionals, ...rest]
  checkArguments(command, options, values, positionals)
  if (values.help) {
    process.stdout.write(commandHelp(command))
    return 0
  }
  if (values.version) {
    process.stdout.write(`${TOTE_VERSION}\n`)
    return 0
  }
  const module = await command.load()
  const place = values.cwd ?? values.prefix
  const cwd = typeof place === 'string' ? place : process.cwd()
  const npmFlags: CommandContext['npmFlags'] = {}
  for (const [name, value] of Object.entries(values)) {
    if (options[name]?.kind === 'npm' && value !== undefined) npmFlags[name] = value
  }
  return module.run({
    command: command.name,
    values,
    npmFlags,
    positionals,
    cwd,
    importModule: host.importModule,
  })
}

function unknownCommand(name: string, message: string) {
  const known = commands.flatMap((c) => [c.name, ...(c.aliases ?? [])])
  const guess = closest(name, known)
  const list = `Commands: ${commands.map((c) => c.name).join(', ')}.`
  return usageError(
    'EUNKNOWNCOMMAND',
    guess ? `${message} Did you mean "${guess}"?` : message,
    `${list} Run \`tote --help\`.`,
  )
}

/**
 * npm spells a boolean as `--flag=true` or `--flag=false` (and colour as `--color=always`), which
 * Node's parser does not take: they become `--flag` and `--no-flag` first.
 */
function npmBooleans(argv: string[], options: Record<string, OptionSpec>): string[] {
  return argv.map((arg) => {
    const match = /^--([^=]+)=(true|false|always)$/.exec(arg)
    if (!match || options[match[1]!]?.type !== 'boolean') return arg
    return match[2] === 'false' ? `--no-${match[1]}` : `--${match[1]}`
  })
}

function parse(argv: string[], options: Record<string, OptionSpec>, allowPositionals: boolean) {
  try {
    return parseArgs({
      args: npmBooleans(argv, options),
      options: toParseArgsOptions(options),
      allowPositionals,
      allowNegative: true,
      strict: true,
    })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const unknown = /Unknown option '(-{1,2})([^']+)'/.exec(message)
    if (unknown) {
      const name = unknown[2]!.replace(/^no-/, '')
      const guess = unknown[1] === '--' ? closest(name, Object.keys(options)) : undefined
      throw usageError(
        'EUSAGE',
        `Unknown option '${unknown[1]}${unknown[2]}'.${guess ? ` Did you mean '--${unknown[2]!.startsWith('no-') ? 'no-' : ''}${guess}'?` : ''}`,
        'Run `tote <command> --help` to see the options.',
      )
    }
    throw usageError('EUSAGE', message.replace(/\. To specify a positional.*$/s, '.'), 'Run `tote --help`.')
  }
}

/**
 * For commands that run another command (exec, x): tote's flags are those before the first
 * positional (or before `--`); from there on, everything is that command's, flags included (as npx
 * reads them), but for the first `--`.
 */
function splitAtCommand(
  argv: string[],
  options: Record<string, OptionSpec>,
): { flags: string[]; rest: string[] } {
  const short = new Map(
    Object.entries(options).flatMap(([name, spec]) => (spec.short ? [[spec.short, name]] : [])),
  )
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!
    if (arg === '--') return { flags: argv.slice(0, index), rest: argv.slice(index + 1) }
    if (!arg.startsWith('-') || arg === '-') {
      // `tote exec hello -- --loud` as npm reads it: the first `--` after the bin is dropped.
      const rest = argv.slice(index)
      const dashes = rest.indexOf('--')
      if (dashes !== -1) rest.splice(dashes, 1)
      return { flags: argv.slice(0, index), rest }
    }
    if (arg.includes('=')) continue
    const name = arg.startsWith('--') ? arg.slice(2) : arg.length === 2 ? short.get(arg.slice(1)) : undefined
    // A string flag takes the next argument as its value.
    if (name !== undefined && options[name]?.type === 'string') index++
  }
  return { flags: argv, rest: [] }
}

/** Flags npm has that tote refuses, and positional arguments a command does not take, are errors. */
function checkArguments(
  command: CommandSpec,
  options: Record<string, OptionSpec>,
  values: Record<string, unknown>,
  positionals: string[],
) {
  for (const [name, value] of Object.entries(values)) {
    const spec = options[name]
    // `--no-global`, `--no-workspaces`: asking for what tote does anyway is fine.
    if (spec?.kind !== 'unsupported' || value === false) continue
    throw usageError(
      'EUNSUPPORTED',
      `tote ${command.name} does not take --${name}: ${spec.note}.`,
      'Leave the flag out, or use npm for this.',
    )
  }
  if (positionals.length > 0 && command.positionals === undefined) {
    throw usageError(
      'EUSAGE',
      `tote ${command.name} takes no arguments (got ${positionals.map((p) => JSON.stringify(p)).join(', ')}).`,
      `Run \`tote ${command.name} --help\`.`,
    )
  }
}
