import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ToteError } from '@tote/types'
import { PEER_VERSIONS } from './_commands.js'
import { runCaptured } from './_process.js'
import type { PmName, ToolCommand } from './types.js'

export type Peer = Exclude<PmName, 'tote'>

/**
 * Where each peer's program lives once its registry package is installed. pnpm, bun and utoo ship
 * their native binary in a per-platform optional dependency; running that binary directly needs
 * none of the wrapper packages' install scripts, so peers are installed with scripts off.
 */
const PEER_LAYOUT: Record<Peer, { packageName: string; binary: string; native: boolean }> = {
  npm: { packageName: 'npm', binary: 'bin/npm-cli.js', native: false },
  pnpm: { packageName: 'pnpm', binary: 'pnpm', native: true },
  bun: { packageName: 'bun', binary: 'bin/bun', native: true },
  utoo: { packageName: 'utoo', binary: 'bin/utoo', native: true },
}

/**
 * Picks this platform's package among a wrapper's optionalDependencies, named like
 * `@scope/exe.linux-x64`, `@scope/bun-linux-x64` or `…-linux-x64-musl`.
 */
export function pickPlatformPackage(
  names: readonly string[],
  platform: string,
  arch: string,
  libc: 'glibc' | 'musl',
): string | undefined {
  const wanted = `${platform}-${arch}${libc === 'musl' && platform === 'linux' ? '-musl' : ''}`
  return names.find((name) => name.endsWith(`-${wanted}`) || name.endsWith(`.${wanted}`))
}

export function currentLibc(): 'glibc' | 'musl' {
  if (process.platform !== 'linux') return 'glibc'
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined
  return report?.header?.glibcVersionRuntime ? 'glibc' : 'musl'
}

/** The installed peer's command, or undefined when its files are not there. */
export function locatePeer(peer: Peer, dir: string): ToolCommand | undefined {
  const layout = PEER_LAYOUT[peer]
  const wrapperDir = join(dir, 'node_modules', layout.packageName)
  if (!layout.native) {
    const script = join(wrapperDir, layout.binary)
    return existsSync(script) ? { command: process.execPath, args: [script], env: {} } : undefined
  }
  const manifestPath = join(wrapperDir, 'package.json')
  if (!existsSync(manifestPath)) return undefined
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    optionalDependencies?: Record<string, string>
  }
  const platformPackage = pickPlatformPackage(
    Object.keys(manifest.optionalDependencies ?? {}),
    process.platform,
    process.arch,
    currentLibc(),
  )
  if (platformPackage === undefined) return undefined
  const binary = join(dir, 'node_modules', platformPackage, layout.binary)
  if (!existsSync(binary)) return undefined
  // utoo's own launcher passes its package root, from which utoo infers npm-style prefixes.
  const env: Record<string, string> = peer === 'utoo' ? { UTOO_MANAGED_PACKAGE_ROOT: wrapperDir } : {}
  return { command: binary, args: [], env }
}

export interface PeerSetup {
  toolsDir: string
  registry: string
  hostsFile: string | undefined
  env: Record<string, string>
  log: (line: string) => void
}

/** `<tool> --version`, trimmed; undefined when it does not run. */
export function toolVersion(tool: ToolCommand, setup: Pick<PeerSetup, 'env' | 'hostsFile'>, cwd: string) {
  const result = runCaptured(tool.command, [...tool.args, '--version'], {
    cwd,
    env: { ...setup.env, ...tool.env },
    hostsFile: setup.hostsFile,
    timeoutMs: 60_000,
  })
  return result.status === 0 ? result.stdout.trim().split('\n').pop()?.trim() : undefined
}

/**
 * Returns the pinned peer, installing it first with the system npm into
 * `<toolsDir>/<peer>@<version>` (scripts off, optional dependencies on) when it is not there yet.
 */
export function ensurePeer(peer: Peer, setup: PeerSetup): ToolCommand {
  const version = PEER_VERSIONS[peer]
  const dir = join(setup.toolsDir, `${peer}@${version}`)
  const existing = locatePeer(peer, dir)
  if (existing && toolVersion(existing, setup, dir) === version) return existing
  setup.log(`installing ${peer}@${version} into ${dir}`)
  mkdirSync(dir, { recursive: true })
  const manifest = {
    name: `tote-bench-tool-${peer}`,
    private: true,
    dependencies: { [PEER_LAYOUT[peer].packageName]: version },
  }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  const install = runCaptured(
    'npm',
    [
      'install',
      '--ignore-scripts',
      '--include=optional',
      '--no-audit',
      '--no-fund',
      '--update-notifier=false',
      '--registry',
      setup.registry,
    ],
    { cwd: dir, env: setup.env, hostsFile: setup.hostsFile },
  )
  if (install.status !== 0) {
    throw new ToteError('EPEERINSTALL', `Installing ${peer}@${version} with npm failed.`, {
      hint: `Check the registry and ${dir}; npm said: ${install.stderr.trim().slice(-1500)}`,
    })
  }
  const installed = locatePeer(peer, dir)
  const got = installed ? toolVersion(installed, setup, dir) : undefined
  if (!installed || got !== version) {
    throw new ToteError(
      'EPEERBINARY',
      `${peer}@${version} installed into ${dir}, but ${installed ? `its --version says ${got ?? 'nothing'}` : 'no binary for this platform was found'}.`,
      {
        hint: `Delete ${dir} and run again; pm-bench supports the platforms the peer publishes binaries for.`,
      },
    )
  }
  return installed
}
