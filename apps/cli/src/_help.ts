import { type CommandSpec, commands, globalOptions, type OptionSpec } from './_commands.js'

function formatOptions(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.arg ? ` <${spec.arg}>` : ''}`
    return [flag, spec.description] as const
  })
  const width = Math.max(...rows.map(([flag]) => flag.length))
  return rows.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`)
}

export function mainHelp(version: string): string {
  const width = Math.max(0, ...commands.map((command) => command.name.length))
  return [
    `tote ${version}: a fast, npm-compatible package manager`,
    '',
    'Usage: tote <command> [options]',
    '',
    'Commands:',
    ...(commands.length === 0
      ? ['  (none yet)']
      : commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`)),
    '',
    'Options:',
    ...formatOptions(globalOptions),
    '',
    'Run `tote <command> --help` for the options of one command.',
    '',
  ].join('\n')
}

export function commandHelp(command: CommandSpec): string {
  return [
    `Usage: ${command.usage}`,
    '',
    command.summary,
    ...(command.details ? ['', ...command.details] : []),
    ...(command.aliases?.length ? ['', `Aliases: ${command.aliases.join(', ')}`] : []),
    '',
    'Options:',
    ...formatOptions({ ...command.options, ...globalOptions }),
    '',
  ].join('\n')
}
