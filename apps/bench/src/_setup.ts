import { lookup } from 'node:dns/promises'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { cpus, loadavg, release, totalmem, type } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { ToteError } from '@tote/types'
import { runCaptured } from './_process.js'
import type { RunMeta } from './_report.js'
import type { Fixture, Phase, ToolCommand } from './types.js'

/** The registry npm would use for this project: `npm config get registry` in the fixture's folder. */
export function registryFromNpm(fixture: Fixture, env: Record<string, string>): string {
  const result = runCaptured('npm', ['config', 'get', 'registry'], {
    cwd: fixture.dir,
    env,
    timeoutMs: 60_000,
  })
  const value = result.stdout.trim()
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ToteError(
      'EREGISTRY',
      `\`npm config get registry\` gave no usable URL (${value || 'nothing'}).`,
      {
        hint: 'Set a registry in npm configuration (.npmrc) and run again.',
        cause: result.stderr,
      },
    )
  }
  return url.href.endsWith('/') ? url.href : `${url.href}/`
}

export interface HostsPin {
  /** The hosts file to bind-mount over /etc/hosts, or undefined to run without it. */
  hostsFile: string | undefined
  address: string | undefined
  note: string
}

/**
 * Looks the registry's host up once and writes a copy of /etc/hosts that pins it, so that package
 * managers opening many connections at once do not hit the system resolver (which drops
 * simultaneous lookups). Falls back to plain runs when `unshare -m` cannot bind-mount it.
 */
export async function pinRegistryHost(
  registry: string,
  runDir: string,
  env: Record<string, string>,
): Promise<HostsPin> {
  const host = new URL(registry).hostname
  if (isIP(host) !== 0 || host === 'localhost') {
    return { hostsFile: undefined, address: undefined, note: 'registry addressed directly; no hosts pinning' }
  }
  const { address } = await lookup(host)
  const hostsFile = join(runDir, 'hosts')
  writeFileSync(hostsFile, `${readFileSync('/etc/hosts', 'utf8').trimEnd()}\n${address} ${host}\n`)
  const probe = runCaptured('true', [], { cwd: runDir, env, hostsFile })
  if (probe.status !== 0) {
    return {
      hostsFile: undefined,
      address,
      note: `WARNING: \`unshare -m\` with a bind-mounted hosts file failed (${probe.stderr.trim().split('\n')[0] ?? 'no message'}); package managers use the system resolver`,
    }
  }
  return {
    hostsFile,
    address,
    note: 'every command runs under `unshare -m` with a hosts file pinning the registry host (looked up once)',
  }
}

/**
 * tote as the `tote` command runs it: the bin file itself, whose `#!/bin/sh` launcher starts the
 * `node` found on PATH (with glibc's malloc tunables; apps/cli/README.md), so the Node running
 * pm-bench goes first on PATH. Windows has no `#!`: there it is `node <repo>/apps/cli/bin/tote.js`.
 */
export function toteTool(repoRoot: string, path = process.env.PATH): ToolCommand {
  return toteToolAt(join(repoRoot, 'apps', 'cli', 'bin', 'tote.js'), path)
}

/** {@link toteTool} for the tote whose launcher is `bin` (another build, `--build`). */
export function toteToolAt(bin: string, path = process.env.PATH): ToolCommand {
  if (process.platform === 'win32') return { command: process.execPath, args: [bin], env: {} }
  const nodeFirst = [dirname(process.execPath), path].filter(Boolean).join(delimiter)
  return { command: bin, args: [], env: { PATH: nodeFirst } }
}

export interface ToteSupport {
  version: string
  phases: Set<Phase>
  frozenCommand: 'ci' | 'install'
}

/**
 * Which phases tote can run today: a phase is available when `tote <command> --help` succeeds for
 * its command (p1 also needs `--lockfile-only` in that help; p5 needs `add`). p3 and p4 use `ci` once
 * it exists.
 */
export function toteSupport(tool: ToolCommand, env: Record<string, string>, cwd: string): ToteSupport {
  const help = (command: string) => {
    const result = runCaptured(tool.command, [...tool.args, command, '--help'], {
      cwd,
      env,
      timeoutMs: 60_000,
    })
    return result.status === 0 ? result.stdout : undefined
  }
  const versionRun = runCaptured(tool.command, [...tool.args, '--version'], { cwd, env, timeoutMs: 60_000 })
  const install = help('install')
  const ci = help('ci')
  const add = help('add')
  const run = help('run')
  const phases = new Set<Phase>()
  if (install !== undefined) phases.add('p0_full_cold')
  if (install?.includes('--lockfile-only')) phases.add('p1_resolve')
  if (ci !== undefined || install !== undefined) {
    phases.add('p3_cold_install')
    phases.add('p4_warm_link')
  }
  if (add !== undefined) phases.add('p5_add')
  if (run !== undefined) phases.add('p6_run')
  return {
    version: versionRun.status === 0 ? versionRun.stdout.trim() : 'not built',
    phases,
    frozenCommand: ci !== undefined ? 'ci' : 'install',
  }
}

export function machineMeta(): RunMeta['machine'] {
  const processors = cpus()
  return {
    cores: processors.length,
    cpuModel: processors[0]?.model.trim() ?? 'unknown CPU',
    ramGb: totalmem() / 1024 ** 3,
    node: process.version,
    os: `${type()} ${release()}`,
    loadAverage: loadavg(),
  }
}

/** GNU time must be there: its measures are the benchmark. */
export function assertGnuTime(): void {
  if (!existsSync('/usr/bin/time')) {
    throw new ToteError('ENOTIME', '/usr/bin/time (GNU time) is missing.', {
      hint: 'Install GNU time (Debian/Ubuntu: apt-get install time).',
    })
  }
}
