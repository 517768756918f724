import { describe, expect, it } from 'vitest'
import { cleanEnvironment, LOCKFILE_NAMES, phaseArgs, pmCommand, wrapCommand } from '../src/_commands.js'
import { NODE_REFERENCE } from '../src/_schedule.js'
import type { Contender, PmName } from '../src/types.js'

// A loopback registry: tests never name a real one.
const registry = 'http://127.0.0.1:4873/'
const cacheDir = '/runs/7/cache'

function commandLine(pm: PmName, phase: Parameters<typeof phaseArgs>[1], contender?: Contender) {
  const tool = {
    command: `/tools/${pm}`,
    args: pm === 'npm' || pm === 'tote' ? [`/tools/${pm}.js`] : [],
    env: {},
  }
  return pmCommand(contender ?? { key: pm, pm }, phase, { tool, registry, cacheDir, toteFrozenCommand: 'ci' })
}

describe('phase commands', () => {
  it('p6_run: `<pm> run pm-bench-true`, without cache or registry flags (pnpm outside the workspace)', () => {
    for (const pm of ['tote', 'npm', 'bun', 'utoo'] as const) {
      expect(commandLine(pm, 'p6_run').args.slice(-2)).toEqual(['run', 'pm-bench-true'])
      expect(commandLine(pm, 'p6_run').args.join(' ')).not.toContain(registry)
    }
    expect(commandLine('pnpm', 'p6_run').args.slice(-3)).toEqual([
      'run',
      'pm-bench-true',
      '--ignore-workspace',
    ])
  })

  it('resolves without installing', () => {
    expect(phaseArgs('npm', 'p1_resolve')).toEqual(['install', '--package-lock-only'])
    expect(phaseArgs('pnpm', 'p1_resolve')).toEqual(['install', '--lockfile-only'])
    expect(phaseArgs('bun', 'p1_resolve')).toEqual(['install', '--lockfile-only'])
    expect(phaseArgs('utoo', 'p1_resolve')).toEqual(['deps'])
    expect(phaseArgs('tote', 'p1_resolve')).toEqual(['install', '--lockfile-only'])
  })

  it('installs from the lockfile in p3 and p4', () => {
    for (const phase of ['p3_cold_install', 'p4_warm_link'] as const) {
      expect(phaseArgs('npm', phase)).toEqual(['ci'])
      expect(phaseArgs('pnpm', phase)).toEqual(['install', '--frozen-lockfile'])
      expect(phaseArgs('bun', phase)).toEqual(['install', '--frozen-lockfile'])
      expect(phaseArgs('utoo', phase)).toEqual(['install'])
      expect(phaseArgs('tote', phase, 'ci')).toEqual(['ci'])
      expect(phaseArgs('tote', phase, 'install')).toEqual(['install'])
    }
  })

  it("adds one package in p5, with each package manager's own command", () => {
    expect(phaseArgs('tote', 'p5_add', 'ci', 'zod')).toEqual(['add', 'zod'])
    expect(phaseArgs('npm', 'p5_add', 'ci', 'zod')).toEqual(['install', 'zod'])
    expect(phaseArgs('pnpm', 'p5_add', 'ci', 'zod@^3')).toEqual(['add', 'zod@^3'])
    expect(phaseArgs('bun', 'p5_add', 'ci', 'zod')).toEqual(['add', 'zod'])
    expect(phaseArgs('utoo', 'p5_add', 'ci', 'zod')).toEqual(['install', 'zod'])
  })

  it('does a plain install in p0', () => {
    for (const pm of ['npm', 'pnpm', 'bun', 'utoo', 'tote'] as const) {
      expect(phaseArgs(pm, 'p0_full_cold')).toEqual(['install'])
    }
  })

  it('knows each lockfile', () => {
    expect(LOCKFILE_NAMES).toEqual({
      tote: 'package-lock.json',
      npm: 'package-lock.json',
      pnpm: 'pnpm-lock.yaml',
      bun: 'bun.lock',
      utoo: 'package-lock.json',
    })
  })
})

describe('full command lines', () => {
  it('npm: own cache, registry, scripts off, no audit/fund/notifier, tarball URLs kept in the lockfile', () => {
    expect(commandLine('npm', 'p3_cold_install')).toEqual({
      command: '/tools/npm',
      args: [
        '/tools/npm.js',
        'ci',
        '--cache',
        cacheDir,
        '--registry',
        registry,
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        '--update-notifier=false',
        '--omit-lockfile-registry-resolved=false',
      ],
      env: {},
    })
  })

  it('pnpm: store, metadata cache and state inside the run cache, outside any workspace', () => {
    expect(commandLine('pnpm', 'p0_full_cold')).toEqual({
      command: '/tools/pnpm',
      args: [
        'install',
        '--registry',
        registry,
        '--store-dir',
        '/runs/7/cache/store',
        '--config.cache-dir=/runs/7/cache/metadata',
        '--state-dir',
        '/runs/7/cache/state',
        '--ignore-scripts',
        '--ignore-workspace',
        '--config.update-notifier=false',
      ],
      env: {},
    })
  })

  it('bun: cache through BUN_INSTALL_CACHE_DIR', () => {
    expect(commandLine('bun', 'p1_resolve')).toEqual({
      command: '/tools/bun',
      args: ['install', '--lockfile-only', '--registry', registry, '--ignore-scripts', '--no-progress'],
      env: { BUN_INSTALL_CACHE_DIR: cacheDir },
    })
  })

  it('utoo: --cache-dir and UTOO_CACHE_DIR; `deps` takes no --ignore-scripts', () => {
    expect(commandLine('utoo', 'p1_resolve')).toEqual({
      command: '/tools/utoo',
      args: ['deps', '--registry', registry, '--cache-dir', cacheDir],
      env: { UTOO_CACHE_DIR: cacheDir },
    })
    expect(commandLine('utoo', 'p4_warm_link').args).toEqual([
      'install',
      '--registry',
      registry,
      '--cache-dir',
      cacheDir,
      '--ignore-scripts',
    ])
  })

  it("tote: --cache-dir and TOTE_CACHE_DIR, and a variant appends its flags and sets its environment; npm's default for omit-lockfile-registry-resolved", () => {
    const variant = {
      key: 'tote[fast]',
      pm: 'tote' as const,
      variant: { name: 'fast', args: ['--jobs', '32'], env: { TOTE_HUGE_PAGES: '0' } },
    }
    expect(commandLine('tote', 'p3_cold_install', variant)).toEqual({
      command: '/tools/tote',
      args: [
        '/tools/tote.js',
        'ci',
        '--cache-dir',
        cacheDir,
        '--registry',
        registry,
        '--ignore-scripts',
        '--jobs',
        '32',
      ],
      env: {
        TOTE_CACHE_DIR: cacheDir,
        TOTE_HUGE_PAGES: '0',
        npm_config_omit_lockfile_registry_resolved: 'false',
      },
    })
  })
})

describe('wrappers and environment', () => {
  it('times the command, inside a mount namespace with the pinned hosts file', () => {
    const options = { timeFile: '/r/time.txt', timeFormat: 'FMT', hostsFile: '/r/hosts' }
    expect(wrapCommand('/tools/bun', ['install'], options)).toEqual({
      command: 'unshare',
      args: [
        '-m',
        'sh',
        '-c',
        'mount --bind "$0" /etc/hosts && exec "$@"',
        '/r/hosts',
        '/usr/bin/time',
        '-o',
        '/r/time.txt',
        '-f',
        'FMT',
        '/tools/bun',
        'install',
      ],
    })
    expect(wrapCommand('/tools/bun', ['install'], { ...options, hostsFile: undefined })).toEqual({
      command: '/usr/bin/time',
      args: ['-o', '/r/time.txt', '-f', 'FMT', '/tools/bun', 'install'],
    })
  })

  it('drops npm_* variables and silences notifiers', () => {
    const env = cleanEnvironment({
      PATH: '/bin',
      npm_config_registry: 'x',
      NPM_CONFIG_CACHE: 'y',
      HOME: undefined,
    })
    expect(env).toEqual({ PATH: '/bin', NO_UPDATE_NOTIFIER: '1', DO_NOT_TRACK: '1', NO_COLOR: '1' })
  })
})

describe('the node -e 0 reference row', () => {
  it('runs the Node that runs tote with -e 0, and nothing else', () => {
    const tool = { command: '/opt/node/bin/node', args: [], env: {} }
    const command = pmCommand(NODE_REFERENCE, 'p3_cold_install', {
      tool,
      registry,
      cacheDir,
      toteFrozenCommand: 'ci',
    })
    expect(command).toEqual({ command: '/opt/node/bin/node', args: ['-e', '0'], env: {} })
  })
})
