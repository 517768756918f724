import { parseArgs } from 'node:util'
import { commands, findCommand, globalOptions, toParseArgsOptions } from './_commands.js'
import { reportError, usageError } from './_errors.js'
import { commandHelp, mainHelp } from './_help.js'

declare const TOTE_VERSION: string

/** What the program that runs the CLI provides (bin/tote.js). */
export interface Host {
  /** `import()` from a real module: code compiled through node:vm cannot use its own (see bin/tote.js). */
  importModule?: (specifier: string) => Promise<unknown>
}

/** Runs the CLI with `argv` (without node and the script) and sets `process.exitCode`. */
export async function main(argv: string[], host: Host = {}): Promise<void> {
  try {
    process.exitCode = (await dispatch(argv, host)) ?? 0
  } catch (error) {
    process.exitCode = reportError(error, argv.includes('--verbose'))
  }
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
    const command = argv[1] === undefined ? undefined : findCommand(argv[1])
    process.stdout.write(command ? commandHelp(command) : mainHelp(TOTE_VERSION))
    return 0
  }
  const command = findCommand(first)
  if (!command) {
    const known = commands.map((c) => c.name)
    throw usageError(
      'EUNKNOWNCOMMAND',
      `Unknown command "${first}".`,
      known.length > 0 ? `Commands: ${known.join(', ')}. Run \`tote --help\`.` : 'Run `tote --help`.',
    )
  }
  const { values, positionals } = parse(argv.slice(1), { ...command.options, ...globalOptions }, true)
  if (values.help) {
    process.stdout.write(commandHelp(command))
    return 0
  }
  if (values.version) {
    process.stdout.write(`${TOTE_VERSION}\n`)
    return 0
  }
  const module = await command.load()
  const cwd = typeof values.cwd === 'string' ? values.cwd : process.cwd()
  return module.run({ values, positionals, cwd, importModule: host.importModule })
}

function parse(argv: string[], options: typeof globalOptions, allowPositionals: boolean) {
  try {
    return parseArgs({ args: argv, options: toParseArgsOptions(options), allowPositionals, strict: true })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw usageError('EUSAGE', message.replace(/\. To specify a positional.*$/s, '.'), 'Run `tote --help`.')
  }
}
