// The flags tote takes. Many are npm's own, so that a CI line written for npm runs with `tote` in its
// place: each says what tote does with it. The table is data only: help, argument checking and the
// README are made from it, and no command's code is loaded to check arguments. configFlags, at the
// end, hands a command's npm flags to npm's configuration loader.

import type { ConfigFlags } from '@tote/config'
import type { CommandContext } from './_command-types.js'

/** What a flag is to tote. */
export type OptionKind =
  /** tote's own; the command reads it. */
  | 'tote'
  /** An npm configuration key: handed to npm's configuration loader, above every npmrc. */
  | 'npm'
  /** npm's, accepted and ignored: `note` says why it changes nothing in tote. */
  | 'ignored'
  /** npm's, refused with an error: `note` says why (a layout or feature tote does not have yet). */
  | 'unsupported'

export interface OptionSpec {
  type: 'string' | 'boolean'
  kind: OptionKind
  short?: string
  multiple?: boolean
  /** Placeholder shown in help, for string options. */
  arg?: string
  description: string
  /** For `ignored` and `unsupported`: why. */
  note?: string
}

const npm = (type: OptionSpec['type'], description: string, extra: Partial<OptionSpec> = {}): OptionSpec => ({
  type,
  kind: 'npm',
  description,
  ...extra,
})
const ignored = (description: string, note: string, extra: Partial<OptionSpec> = {}): OptionSpec => ({
  type: 'boolean',
  kind: 'ignored',
  description,
  note,
  ...extra,
})
const unsupported = (
  type: OptionSpec['type'],
  description: string,
  note: string,
  extra: Partial<OptionSpec> = {},
): OptionSpec => ({ type, kind: 'unsupported', description, note, ...extra })

/** Options every command takes. */
export const globalOptions: Record<string, OptionSpec> = {
  help: { type: 'boolean', kind: 'tote', short: 'h', description: 'Show help' },
  version: { type: 'boolean', kind: 'tote', short: 'v', description: 'Print the version' },
  silent: npm('boolean', 'Print nothing but errors (npm: --loglevel silent)', { short: 's' }),
  quiet: npm('boolean', 'Print results, warnings and errors only (npm: --loglevel warn)', { short: 'q' }),
  verbose: npm('boolean', 'Print details of every step (npm: --loglevel verbose)'),
  loglevel: npm('string', 'silent, error, warn, notice, http, info, verbose or silly, as npm', {
    arg: 'level',
  }),
  progress: npm('boolean', 'Show the live progress line on a terminal (--no-progress: never)'),
  cwd: { type: 'string', kind: 'tote', arg: 'dir', description: 'Run as if started in <dir>' },
  prefix: {
    type: 'string',
    kind: 'tote',
    arg: 'dir',
    description: 'The project folder, as npm reads --prefix for a project (same as --cwd)',
  },
  userconfig: npm('string', 'The user npmrc file to read instead of ~/.npmrc', { arg: 'file' }),
  color: npm(
    'boolean',
    'Colour `warn` and `error` on a terminal (--no-color: never, --color=always: anywhere; NO_COLOR, FORCE_COLOR)',
  ),
  'update-notifier': ignored('Check for a newer version', 'tote never checks for updates'),
  yes: ignored('Answer yes to every question', 'tote asks no questions', { short: 'y' }),
}

/** npm configuration a command that fetches from a registry takes as flags. */
export function registryOptions(): Record<string, OptionSpec> {
  return {
    registry: npm('string', 'Registry URL (default: from npm configuration)', { arg: 'url' }),
    'cache-dir': {
      type: 'string',
      kind: 'tote',
      arg: 'dir',
      description: "tote's cache folder (default: ~/.cache/tote, or TOTE_CACHE_DIR)",
    },
    cache: npm('string', "npm's cache folder: tote keeps its own cache there (like --cache-dir)", {
      arg: 'dir',
    }),
    offline: npm('boolean', 'Use cached metadata only; never touch the network'),
    'prefer-offline': npm('boolean', 'Use cached metadata without revalidating it'),
    'prefer-online': npm('boolean', 'Revalidate cached metadata every time'),
    'fetch-retries': npm('string', 'Retries of a failed request (default 2)', { arg: 'n' }),
    'fetch-retry-mintimeout': npm('string', 'First wait before a retry, in ms', { arg: 'ms' }),
    'fetch-retry-maxtimeout': npm('string', 'Longest wait before a retry, in ms', { arg: 'ms' }),
    'fetch-retry-factor': npm('string', 'How much longer each wait is than the one before', { arg: 'n' }),
    'fetch-timeout': npm('string', 'How long one request may take, in ms', { arg: 'ms' }),
    'strict-ssl': npm('boolean', 'Check registry certificates (--no-strict-ssl: do not)'),
  }
}

/** Options of the commands that write node_modules (install, ci). */
export function installOptions(): Record<string, OptionSpec> {
  return {
    omit: npm('string', 'Leave out a dependency type (repeatable)', {
      multiple: true,
      arg: 'dev|optional|peer',
    }),
    include: npm('string', 'Install a dependency type that --omit or NODE_ENV would leave out', {
      multiple: true,
      arg: 'prod|dev|optional|peer',
    }),
    production: npm('boolean', 'Leave out devDependencies (npm: same as --omit dev)'),
    'legacy-peer-deps': npm('boolean', 'Do not install peer dependencies'),
    'ignore-scripts': npm(
      'boolean',
      "Run no lifecycle scripts: neither dependencies' install scripts nor the project's",
    ),
    'script-shell': npm('string', 'The shell that runs scripts (default: sh)', { arg: 'shell' }),
    'allow-scripts': npm(
      'string',
      'Refused in a project, as npm refuses it (EALLOWSCRIPTS): approve in package.json allowScripts or .npmrc',
      { arg: 'names', multiple: true },
    ),
    'strict-allow-scripts': npm(
      'boolean',
      'Fail (ESTRICTALLOWSCRIPTS) when a dependency has install scripts that allowScripts does not cover',
    ),
    'dangerously-allow-all-scripts': npm(
      'boolean',
      "Run every dependency's install scripts, approved, unreviewed or denied (--ignore-scripts still wins)",
    ),
    'unreviewed-scripts': {
      type: 'string',
      kind: 'tote',
      arg: 'skip|run|fail',
      description:
        "Dependencies' install scripts that allowScripts does not cover: skip and name them (default), run them as npm does, or fail",
    },
    'bin-links': npm('boolean', "Link packages' bins into node_modules/.bin (--no-bin-links: do not)"),
    'omit-lockfile-registry-resolved': npm(
      'boolean',
      'Leave `resolved` out of the lockfile entries of registry packages (npm: the same setting)',
    ),
    cpu: npm('string', 'Install optional packages for this CPU instead of this machine’s', { arg: 'cpu' }),
    os: npm('string', 'Install optional packages for this OS instead of this machine’s', { arg: 'os' }),
    libc: npm('string', 'Install optional packages for this libc (glibc, musl)', { arg: 'libc' }),
    'install-strategy': npm(
      'string',
      'How node_modules is laid out: hoisted (npm’s default), nested or shallow (npm’s linked is not supported)',
      { arg: 'hoisted|nested|shallow' },
    ),
    'foreground-scripts': npm(
      'boolean',
      "Run dependencies' install scripts one at a time on tote's terminal, not in the background with their output kept in a log",
    ),
    audit: ignored('Audit the installed packages', 'tote does not audit'),
    'audit-level': {
      ...ignored('Lowest severity an audit fails on', 'tote does not audit'),
      type: 'string',
      arg: 'level',
    },
    fund: ignored('Print the funding notice', 'tote prints no funding notice'),
    'strict-peer-deps': npm(
      'boolean',
      'Stop (ERESOLVE) on a peer conflict anywhere in the tree, not only in the project’s own dependencies',
    ),
    force: npm(
      'boolean',
      'Go on past peer conflicts npm would stop on (ERESOLVE), keeping what the tree has',
    ),
    'engine-strict': npm(
      'boolean',
      'Refuse (EBADENGINE) a package whose engines.node this Node.js does not satisfy, instead of warning',
    ),
    'allow-git': npm(
      'string',
      'Which git dependencies may be fetched: all (default), none, or root (the project’s own only)',
      { arg: 'all|none|root' },
    ),
    trace: {
      type: 'string',
      kind: 'tote',
      arg: 'file',
      description: 'Write a Chrome trace (Perfetto) of every job; with --verbose, a summary per stage',
    },
    cloner: {
      type: 'string',
      kind: 'tote',
      arg: 'module',
      description: 'Clone with another cloner module (exports createCloner), to compare stages',
    },
    stage: {
      type: 'string',
      kind: 'tote',
      multiple: true,
      arg: 'name=module',
      description:
        'Take a stage from another module, to compare stages: downloader, extractor, content-cache or cloner (repeatable)',
    },
    workers: {
      type: 'string',
      kind: 'tote',
      arg: 'n',
      description: 'Worker threads for unpacking and cloning (0: all on the main thread)',
    },
    'linker-strategy': {
      type: 'string',
      kind: 'tote',
      arg: 'auto|hardlink|copy|reflink',
      description: 'How files go from the cache into node_modules (default: auto)',
    },
    global: unsupported(
      'boolean',
      'Install globally',
      'tote installs projects; use npm for global installs',
      { short: 'g' },
    ),
    'global-style': unsupported(
      'boolean',
      'npm’s global layout in a project',
      'tote installs npm’s hoisted layout only, so far',
    ),
    'legacy-bundling': unsupported(
      'boolean',
      'No hoisting at all',
      'tote installs npm’s hoisted layout only, so far',
    ),
    'prefer-dedupe': unsupported(
      'boolean',
      'Prefer deduplicating over the newest version',
      'tote resolves as npm does by default only, so far',
    ),
    workspace: npm(
      'string',
      'Install only this workspace and what it needs (repeatable; a name, its folder, or a folder holding workspaces)',
      { short: 'w', multiple: true, arg: 'name|folder' },
    ),
    workspaces: npm(
      'boolean',
      "Install every workspace and what they need, not the project's own dependencies (--no-workspaces: those only)",
    ),
    'include-workspace-root': npm(
      'boolean',
      "With -w or --workspaces, install the project's own dependencies too",
    ),
    'install-links': npm(
      'boolean',
      'Pack file: folders as npm pack does and install them as copies, not links (workspaces stay linked)',
    ),
    before: npm('string', 'Pick only versions published on or before this date (npm’s before)', {
      arg: 'date',
    }),
    'min-release-age': npm('string', 'Pick only versions published at least this many days ago', {
      arg: 'days',
    }),
    'min-release-age-exclude': npm(
      'string',
      'A package name or glob that before and min-release-age do not apply to (repeatable)',
      {
        multiple: true,
        arg: 'name|glob',
      },
    ),
  }
}

/** npm's save flags: where `tote add` (`install <spec>`) saves, and how; npm configuration, so an npmrc may set them too. */
export function saveOptions(): Record<string, OptionSpec> {
  return {
    save: npm('boolean', 'Write package.json and package-lock.json (--no-save: change node_modules only)'),
    'package-lock': npm('boolean', 'Read and write package-lock.json (--no-package-lock: neither)'),
    'save-dev': npm('boolean', 'Save added packages to devDependencies', { short: 'D' }),
    'save-prod': npm('boolean', 'Save added packages to dependencies (out of the other maps)', {
      short: 'P',
    }),
    'save-optional': npm('boolean', 'Save added packages to optionalDependencies', { short: 'O' }),
    'save-peer': npm('boolean', 'Save added packages to peerDependencies (with -O: optional peers)'),
    'save-exact': npm('boolean', 'Save the exact version installed, not a range', { short: 'E' }),
    'save-prefix': npm('string', 'The range operator saved before the version (default ^)', {
      arg: 'prefix',
    }),
    'save-bundle': npm('boolean', 'Also list added packages in bundleDependencies', { short: 'B' }),
  }
}

/** `--json`: one JSON document on stdout. */
export function jsonOption(description: string): Record<string, OptionSpec> {
  return { json: { type: 'boolean', kind: 'tote', description } }
}

/** Options of the commands that run one of the project's scripts (run, test, start, stop, restart). */
export function runOptions(): Record<string, OptionSpec> {
  return {
    'if-present': npm('boolean', 'Exit 0 without a word when the script is not there'),
    'ignore-scripts': npm('boolean', 'Run the script alone, without its pre<name> and post<name> scripts'),
    'script-shell': npm('string', 'The shell that runs scripts (default: sh)', { arg: 'shell' }),
    ...workspaceOptions(
      "Run the script in this workspace's folder (repeatable; a name, its folder, or a folder holding workspaces)",
      'Run the script in every workspace, one after the other',
      "With -w or --workspaces, run the project's own script too, first",
    ),
  }
}

/** Options of `tote install-scripts` and its aliases. */
export function installScriptsOptions(): Record<string, OptionSpec> {
  return {
    all: npm('boolean', 'approve or deny: every package with unreviewed install scripts'),
    'allow-scripts-pin': npm(
      'boolean',
      'approve: write pinned name@version entries (default; --no-allow-scripts-pin: name-only entries)',
    ),
    'dry-run': {
      type: 'boolean',
      kind: 'tote',
      description: 'Resolve and say what would change; write nothing',
    },
    json: npm('boolean', 'Print the result as JSON'),
  }
}

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

/** npm's -w/--workspace, --workspaces and --include-workspace-root, described for one command. */
export function workspaceOptions(
  workspace: string,
  workspaces: string,
  root: string,
): Record<string, OptionSpec> {
  return {
    workspace: npm('string', workspace, { short: 'w', multiple: true, arg: 'name|folder' }),
    workspaces: npm('boolean', workspaces),
    'include-workspace-root': npm('boolean', root),
  }
}
