// What the command table hands a command, and what a command's module exports. Types only: the
// commands import them from here, not from the table (_commands.ts), which loads the commands; so
// neither the table nor a command reaches back up to the other.

/** What a command's module exports; loaded only when that command runs. */
export interface CommandModule {
  run(context: CommandContext): Promise<number | undefined>
}

/** Parsed arguments handed to a command. */
export interface CommandContext {
  /** The command's name in the table (`run` for `run-script`), as scripts see it in `npm_command`. */
  command?: string
  values: Record<string, string | boolean | (string | boolean)[] | undefined>
  /** The flags that are npm configuration keys, for npm's configuration loader. */
  npmFlags: Record<string, string | boolean | (string | boolean)[]>
  positionals: string[]
  cwd: string
  /** Loads a contributor's stage module (--stage, --cloner); see Host in main.ts. */
  importModule?: ((specifier: string) => Promise<unknown>) | undefined
  /**
   * How the skipped-scripts summary tells the user to approve packages, when not with `tote
   * install-scripts approve` (`tote x` installs in a folder of the cache).
   */
  approveHint?: ((names: string[]) => string) | undefined
}
