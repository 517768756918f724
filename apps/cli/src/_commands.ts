import type { ParseArgsConfig } from 'node:util'
import type { CommandModule } from './_command-types.js'
import {
  globalOptions,
  installOptions,
  installScriptsOptions,
  jsonOption,
  type OptionSpec,
  registryOptions,
  runOptions,
  saveOptions,
  workspaceOptions,
} from './_options.js'

export { globalOptions, type OptionSpec }

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
  /**
   * Everything from the first positional on is the command's own (a bin and its arguments, as npx
   * takes them): `tote exec esbuild --version` passes --version to esbuild.
   */
  passThrough?: boolean
  /**
   * The command's code, imported when the command runs (not for help or a usage error): a lazy
   * import for start-up, not for a cycle (commands import nothing from this table).
   */
  load: () => Promise<CommandModule>
}

/** The options of the commands that resolve and install: install, add, remove, update. */
function changeOptions(): Record<string, OptionSpec> {
  return {
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
    ...jsonOption('Print one JSON document on stdout: what changed (see the CLI README)'),
  }
}

/**
 * The command table. Only names, summaries and options live here, so help and argument checking
 * never load a command's code.
 */
export const commands: CommandSpec[] = [
  {
    name: 'install',
    aliases: ['i'],
    summary: 'Resolve dependencies, write package-lock.json and install node_modules; with specs, add them',
    usage: 'tote install [options] [<spec>...]',
    options: changeOptions(),
    positionals: 'package specs to add, as `tote add` takes them',
    load: () => import('./commands/install.js'),
  },
  {
    name: 'add',
    summary: 'Add packages to package.json, install them and update package-lock.json',
    usage: 'tote add [options] <spec>...',
    details: [
      'Specs: name, name@version, name@range, name@tag, alias@npm:name[@range].',
      "Saves ^<installed version> (npm's save-prefix; the exact version with -E or save-exact), or a",
      'range given that ^<version> would widen. package.json, package-lock.json and node_modules change',
      'together or not at all; package.json is written last, keeping its indent and line endings.',
    ],
    options: changeOptions(),
    positionals: 'package specs',
    load: () => import('./commands/add.js'),
  },
  {
    name: 'remove',
    aliases: ['rm', 'uninstall', 'un', 'r'],
    summary: 'Remove dependencies from package.json, node_modules and package-lock.json',
    usage: 'tote remove [options] <name>...',
    options: changeOptions(),
    positionals: 'names of dependencies',
    load: () => import('./commands/remove.js'),
  },
  {
    name: 'update',
    aliases: ['up', 'upgrade'],
    summary: 'Update packages to the newest versions their ranges allow (--latest: move the ranges)',
    usage: 'tote update [options] [<name>...]',
    details: [
      "As npm update: without names, everything is resolved anew within package.json's ranges; with",
      'names, those packages wherever they are in the tree. package.json stays as it is unless --save',
      '(then ranges of updated project dependencies start at the new versions).',
      '--latest: project dependencies (the named ones, or all) move to their latest versions, keeping',
      'their range operator (^, ~ or exact), as pnpm and bun do.',
    ],
    options: {
      ...changeOptions(),
      latest: {
        type: 'boolean',
        kind: 'tote',
        description: 'Move project dependencies to their latest versions, ranges included',
      },
    },
    positionals: 'names of packages to update',
    load: () => import('./commands/update.js'),
  },
  {
    name: 'outdated',
    summary: 'List dependencies with newer versions: current, wanted, latest',
    usage: 'tote outdated [options] [<name>...]',
    details: ['Exit code: 1 when something is outdated, 0 when nothing is (as npm).'],
    options: {
      all: {
        type: 'boolean',
        kind: 'tote',
        short: 'a',
        description: "Every outdated package, not only the project's own",
      },
      ...jsonOption("Print npm's JSON document: name → current, wanted, latest, dependent, location"),
      ...registryOptions(),
      ...workspaceOptions(
        'Only this workspace and what it needs (repeatable; a name, its folder, or a folder holding workspaces)',
        'Every workspace, without the project’s own dependencies',
        'With -w or --workspaces, the project’s own dependencies too',
      ),
    },
    positionals: 'names of packages',
    load: () => import('./commands/outdated.js'),
  },
  {
    name: 'ls',
    aliases: ['list'],
    summary: 'List installed packages as a tree',
    usage: 'tote ls [options] [<name>...]',
    details: [
      'With names: only the paths that lead to those packages. Exit code 1 when the tree has problems (missing or invalid), as npm.',
    ],
    options: {
      all: {
        type: 'boolean',
        kind: 'tote',
        short: 'a',
        description: "The whole tree, not only the project's own dependencies",
      },
      depth: {
        type: 'string',
        kind: 'tote',
        arg: 'n',
        description: 'How deep to list (default 0, with --all: all)',
      },
      ...jsonOption('Print the tree as npm ls --json does'),
      ...workspaceOptions(
        'Only this workspace and what it needs (repeatable; a name, its folder, or a folder holding workspaces)',
        'Every workspace, without the project’s own dependencies',
        'With -w or --workspaces, the project’s own dependencies too',
      ),
    },
    positionals: 'names of packages',
    load: () => import('./commands/ls.js'),
  },
  {
    name: 'why',
    aliases: ['explain'],
    summary: 'Show why a package is installed: every copy and the dependency paths to it',
    usage: 'tote why [options] <name>[@range]...',
    options: {
      ...workspaceOptions(
        'Only copies this workspace leads to (repeatable; a name, its folder, or a folder holding workspaces)',
        'Only copies the workspaces lead to',
        'With -w or --workspaces, copies the project’s own dependencies lead to too',
      ),
      ...jsonOption('Print each copy with the edges into it, as npm explain --json does'),
    },
    positionals: 'names of packages',
    load: () => import('./commands/why.js'),
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
  {
    name: 'run',
    aliases: ['run-script'],
    summary: "Run one of the project's scripts, with its pre and post scripts; alone, list them",
    usage: 'tote run <script> [-- <args>...]',
    details: [
      'Runs scripts.<script> of package.json (with pre<script> before and post<script> after, unless',
      "--ignore-scripts) through the script shell, in the project folder, with npm's environment: every",
      'node_modules/.bin from the project up on PATH. Arguments after the name go to the script; put',
      'them after -- when they look like flags (`tote run test -- --watch`).',
      '',
      "Exit code: the script's. Without a script name, lists the scripts.",
    ],
    options: runOptions(),
    positionals: 'a script name, then arguments for it',
    load: () => import('./commands/run.js'),
  },
  ...(['test', 'start', 'stop', 'restart'] as const).map(
    (name): CommandSpec => ({
      name,
      ...(name === 'test' ? { aliases: ['t', 'tst'] } : {}),
      summary:
        name === 'restart'
          ? 'Run the restart script (or stop, then start), with its pre and post scripts'
          : `Run the ${name} script, with its pre and post scripts (tote run ${name})`,
      usage: `tote ${name} [-- <args>...]`,
      options: runOptions(),
      positionals: 'arguments for the script',
      load: () => import('./commands/run.js'),
    }),
  ),
  {
    name: 'exec',
    summary: "Run a command of the project's dependencies (a bin in node_modules/.bin)",
    usage: 'tote exec [--] <bin> [<args>...]  |  tote exec -c "<command line>"',
    details: [
      'Runs the bin through the script shell in the current folder, with node_modules/.bin of the',
      "project on PATH and npm's script environment. Put its flags after -- (`tote exec -- eslint --fix`).",
      'tote exec runs what is installed; it downloads nothing.',
      '',
      "Exit code: the command's.",
    ],
    options: {
      call: {
        type: 'string',
        kind: 'npm',
        short: 'c',
        arg: 'command line',
        description: 'Run this command line in the script environment instead of a bin',
      },
      'script-shell': runOptions()['script-shell']!,
      ...workspaceOptions(
        "Run the bin in this workspace's folder (repeatable; a name, its folder, or a folder holding workspaces)",
        'Run the bin in every workspace, one after the other',
        'With -w or --workspaces, run it in the project folder too, first',
      ),
    },
    positionals: 'the bin to run, then its arguments',
    passThrough: true,
    load: () => import('./commands/exec.js'),
  },
  {
    name: 'x',
    summary: 'Fetch a package into the cache and run its bin (npx, bunx, pnpm dlx)',
    usage: 'tote x [--allow-scripts <pkg>] <pkg>[@<range>] [<args>...]',
    details: [
      'Installs the package (the newest version, or the range or tag given) with its dependencies in a',
      "folder of tote's cache, then runs its bin in the current folder with npm's script environment:",
      'the one bin it has, else the one named as the package. The same spec later runs what is',
      'there, without a download. Its install scripts follow the allowScripts policy: they are',
      'skipped and named unless --allow-scripts names the package (or allow-scripts in .npmrc does).',
      'Everything after the package goes to its bin.',
      '',
      "Exit code: the bin's.",
    ],
    options: {
      'allow-scripts': {
        type: 'string',
        kind: 'npm',
        multiple: true,
        arg: 'names',
        description: 'Let these packages run their install scripts (comma-separated or repeated)',
      },
      'dangerously-allow-all-scripts': installOptions()['dangerously-allow-all-scripts']!,
      'unreviewed-scripts': installOptions()['unreviewed-scripts']!,
      'ignore-scripts': installOptions()['ignore-scripts']!,
      'script-shell': runOptions()['script-shell']!,
      ...registryOptions(),
    },
    positionals: 'the package, then arguments for its bin',
    passThrough: true,
    load: () => import('./commands/x.js'),
  },
  {
    name: 'install-scripts',
    summary: "Manage which dependencies may run install scripts (package.json allowScripts, npm's format)",
    usage: 'tote install-scripts approve <pkg>... | approve --all | deny <pkg>... | deny --all | ls | prune',
    details: [
      'Subcommands:',
      '  approve  Allow the install scripts of installed packages: pinned name@version entries',
      '           (--no-allow-scripts-pin: the name alone). A "name": false entry is never overridden.',
      '  deny     Deny them: a "name": false entry. Denied scripts are skipped without a word.',
      '  ls       List the installed packages whose install scripts no entry covers.',
      '  prune    Remove entries that match no installed package with install scripts (--dry-run: say which).',
      '',
      'package.json is written as npm 11 writes it. The next `tote install` runs the scripts an',
      'approval allows that have not run yet.',
    ],
    options: installScriptsOptions(),
    positionals: 'a subcommand, then package names',
    load: () => import('./commands/install-scripts.js'),
  },
  ...(['approve-scripts', 'deny-scripts'] as const).map(
    (name): CommandSpec => ({
      name,
      summary: `Same as tote install-scripts ${name === 'approve-scripts' ? 'approve' : 'deny'}`,
      usage: `tote ${name} <pkg>... | tote ${name} --all`,
      options: {
        ...installScriptsOptions(),
        ...(name === 'approve-scripts'
          ? {
              'allow-scripts-pending': {
                type: 'boolean',
                kind: 'npm',
                description:
                  'List the packages with unreviewed install scripts (same as tote install-scripts ls)',
              } satisfies OptionSpec,
            }
          : {}),
      },
      positionals: 'package names',
      load: () => import('./commands/install-scripts.js'),
    }),
  ),
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
