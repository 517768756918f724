import { join } from 'node:path'
import type { Contender, Phase, PmCommand, PmName, ToolCommand } from './types.js'

/** Peer versions known to install here; bump them deliberately, and say so in the results. */
export const PEER_VERSIONS = {
  npm: '11.19.1',
  pnpm: '12.21.0',
  bun: '1.4.5',
  utoo: '1.1.9',
} as const satisfies Record<Exclude<PmName, 'tote'>, string>

/** The lockfile each package manager writes in the project folder. */
export const LOCKFILE_NAMES: Record<PmName, string> = {
  tote: 'package-lock.json',
  npm: 'package-lock.json',
  pnpm: 'pnpm-lock.yaml',
  bun: 'bun.lock',
  utoo: 'package-lock.json',
}

/** Phases that install node_modules (p1 only writes a lockfile; p5 runs a script). */
export function installsNodeModules(phase: Phase): boolean {
  return phase !== 'p1_resolve' && phase !== 'p6_run'
}

/** The script p6_run adds to the fixture's package.json and runs. */
export const RUN_SCRIPT = { name: 'pm-bench-true', command: 'true' } as const

/** Phases that start from the package manager's own lockfile. */
export function needsLockfile(phase: Phase): boolean {
  return phase === 'p3_cold_install' || phase === 'p4_warm_link' || phase === 'p5_add'
}

/** Phases whose run starts with a cache filled by an untimed install of the lockfile. */
export function needsWarmCache(phase: Phase): boolean {
  return phase === 'p4_warm_link' || phase === 'p5_add'
}

export interface CommandContext {
  tool: ToolCommand
  registry: string
  /** This run's cache folder, fresh (p0, p1, p3) or filled by an earlier install (p4). */
  cacheDir: string
  /** tote's frozen-install command: `ci` once tote has it, else `install`. */
  toteFrozenCommand: 'ci' | 'install'
  /** What p5_add adds. */
  addPackage?: string
  /** The project is a workspaces monorepo: pnpm reads the pnpm-workspace.yaml written beside it. */
  workspaces?: boolean
  /**
   * With `--trust`: install scripts run (no `--ignore-scripts`; the approvals are in the project's
   * files) and node-gyp gets `npm_config_nodedir`, the local Node headers' prefix, when known.
   */
  scripts?: { nodedir: string | undefined }
}

/** The subcommand and phase flags, without the cache, registry and noise flags. */
export function phaseArgs(
  pm: PmName,
  phase: Phase,
  toteFrozenCommand: 'ci' | 'install' = 'ci',
  addPackage = 'zod',
): string[] {
  if (phase === 'p5_add') {
    if (pm === 'tote' || pm === 'pnpm' || pm === 'bun') return ['add', addPackage]
    return ['install', addPackage]
  }
  const frozen = needsLockfile(phase)
  if (phase === 'p6_run') return ['run', RUN_SCRIPT.name]
  switch (pm) {
    case 'npm':
      if (phase === 'p1_resolve') return ['install', '--package-lock-only']
      return frozen ? ['ci'] : ['install']
    case 'pnpm':
      if (phase === 'p1_resolve') return ['install', '--lockfile-only']
      return frozen ? ['install', '--frozen-lockfile'] : ['install']
    case 'bun':
      if (phase === 'p1_resolve') return ['install', '--lockfile-only']
      return frozen ? ['install', '--frozen-lockfile'] : ['install']
    case 'utoo':
      // utoo has no ci command; `install` with a package-lock.json installs what it records.
      return phase === 'p1_resolve' ? ['deps'] : ['install']
    case 'tote':
      if (phase === 'p1_resolve') return ['install', '--lockfile-only']
      return frozen ? [toteFrozenCommand] : ['install']
  }
}

/** The full command line for one run: cache folder, registry, scripts off, no notices. */
export function pmCommand(contender: Contender, phase: Phase, context: CommandContext): PmCommand {
  const { tool, registry, cacheDir } = context
  // The reference row: the tool is the Node that runs tote; it starts, runs nothing and exits.
  if (contender.pm === 'node')
    return { command: tool.command, args: [...tool.args, '-e', '0'], env: { ...tool.env } }
  const base = phaseArgs(contender.pm, phase, context.toteFrozenCommand, context.addPackage)
  const env: Record<string, string> = { ...tool.env, ...contender.variant?.env }
  if (phase === 'p6_run') {
    // `run` reads no registry and no cache: the command as a user types it (pnpm: outside the
    // repository's workspace).
    const flags = contender.pm === 'pnpm' && !context.workspaces ? ['--ignore-workspace'] : []
    return {
      command: tool.command,
      args: [...tool.args, ...base, ...flags, ...(contender.variant?.args ?? [])],
      env,
    }
  }
  let flags: string[]
  const scriptsOn = context.scripts !== undefined
  if (context.scripts?.nodedir !== undefined) env.npm_config_nodedir = context.scripts.nodedir
  switch (contender.pm) {
    case 'npm':
      flags = [
        '--cache',
        cacheDir,
        '--registry',
        registry,
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        '--update-notifier=false',
        // npm's own default; a user-level omit-lockfile-registry-resolved=true would make `npm ci`
        // fetch every packument to find the tarballs, which is not what a stock npm does.
        '--omit-lockfile-registry-resolved=false',
      ]
      break
    case 'pnpm':
      flags = [
        '--registry',
        registry,
        '--store-dir',
        join(cacheDir, 'store'),
        `--config.cache-dir=${join(cacheDir, 'metadata')}`,
        '--state-dir',
        join(cacheDir, 'state'),
        '--ignore-scripts',
        // The run folders sit inside the tote repository, whose pnpm-workspace.yaml must not apply
        // (a monorepo's own, written into the project folder, is found first).
        ...(context.workspaces ? [] : ['--ignore-workspace']),
        '--config.update-notifier=false',
      ]
      break
    case 'bun':
      env.BUN_INSTALL_CACHE_DIR = cacheDir
      flags = ['--registry', registry, '--ignore-scripts', '--no-progress']
      break
    case 'utoo':
      env.UTOO_CACHE_DIR = cacheDir
      // `utoo deps` runs no scripts and does not take --ignore-scripts.
      flags = ['--registry', registry, '--cache-dir', cacheDir]
      if (phase !== 'p1_resolve') flags.push('--ignore-scripts')
      break
    case 'tote':
      env.TOTE_CACHE_DIR = cacheDir
      // As for npm, and through the environment so that older builds (--build) read it too.
      env.npm_config_omit_lockfile_registry_resolved ??= 'false'
      flags = ['--cache-dir', cacheDir, '--registry', registry, '--ignore-scripts']
      break
  }
  // With scripts on, the approvals are in the project's files. pnpm reads its own (allowBuilds)
  // from the project's pnpm-workspace.yaml, which --ignore-workspace would ignore; that file, the
  // nearest, keeps the repository's workspace out all the same.
  if (scriptsOn) {
    flags = flags.filter((flag) => flag !== '--ignore-scripts' && flag !== '--ignore-workspace')
  }
  return {
    command: tool.command,
    args: [...tool.args, ...base, ...flags, ...(contender.variant?.args ?? [])],
    env,
  }
}

/** The environment every package manager runs with: no update checks, no telemetry, no npm_* leftovers. */
export function cleanEnvironment(env: Record<string, string | undefined>): Record<string, string> {
  const result: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) {
    // `npm run` exports npm_config_* settings that would reconfigure every peer.
    if (value === undefined || /^npm_/i.test(key)) continue
    result[key] = value
  }
  result.NO_UPDATE_NOTIFIER = '1'
  result.DO_NOT_TRACK = '1'
  result.NO_COLOR = '1'
  return result
}

/**
 * Wraps a command for one timed run: GNU time writes its measures to `timeFile`; with a hosts
 * file, the command runs in its own mount namespace where that file is bind-mounted over
 * /etc/hosts, so the registry's name resolves without the system DNS resolver.
 */
export function wrapCommand(
  command: string,
  args: string[],
  options: { timeFile: string; timeFormat: string; hostsFile: string | undefined },
): { command: string; args: string[] } {
  const timed = ['/usr/bin/time', '-o', options.timeFile, '-f', options.timeFormat, command, ...args]
  if (options.hostsFile === undefined) return { command: timed[0]!, args: timed.slice(1) }
  return { command: 'unshare', args: [...hostsPrefix(options.hostsFile), ...timed] }
}

/** `unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' <hostsFile>`, before the command. */
export function hostsPrefix(hostsFile: string): string[] {
  return ['-m', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hostsFile]
}
