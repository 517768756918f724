import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createRunner, type RunnerContext } from '../src/_runner.js'
import { NODE_REFERENCE } from '../src/_schedule.js'

/** A fixture of one package.json and a runner over it, in `root`; `context` replaces the defaults. */
function runnerIn(root: string, context: Partial<RunnerContext> = {}) {
  const fixtureDir = join(root, 'fixture')
  mkdirSync(fixtureDir)
  writeFileSync(join(fixtureDir, 'package.json'), '{"name":"fixture","version":"1.0.0"}\n')
  // pm-bench makes its work folder before the first run.
  mkdirSync(join(root, 'work'))
  const runner = createRunner({
    fixture: {
      name: 'fixture',
      dir: fixtureDir,
      packageJsonPath: join(fixtureDir, 'package.json'),
      npmrcPath: undefined,
    },
    registry: 'http://127.0.0.1:4873/',
    hostsFile: undefined,
    env: { PATH: process.env.PATH ?? '' },
    tools: new Map(),
    toteFrozenCommand: 'ci',
    addPackage: 'zod',
    isAvailable: () => true,
    workDir: join(root, 'work'),
    lockfileDir: join(root, 'lockfiles'),
    minFreeBytes: 0,
    redact: (text) => text,
    log: () => {},
    note: () => {},
    ...context,
  })
  return runner
}

describe('the node -e 0 reference run', () => {
  it('is timed by GNU time like every run, and records no install', async () => {
    expect(existsSync('/usr/bin/time')).toBe(true)
    const root = mkdtempSync(join(tmpdir(), 'pm-bench-runner-'))
    const lines: string[] = []
    const runner = runnerIn(root, {
      tools: new Map([['node', { command: process.execPath, args: [], env: {} }]]),
      log: (line) => lines.push(line),
      note: (line) => lines.push(line),
    })
    // p3 needs a lockfile for a package manager; the reference needs none.
    const record = await runner.runStep(
      { round: 1, warmup: false, phase: 'p3_cold_install', contender: NODE_REFERENCE },
      1,
    )
    expect(record).toMatchObject({
      contender: 'node -e 0',
      pm: 'node',
      phase: 'p3_cold_install',
      status: 'ok',
      argv: [process.execPath, '-e', '0'],
      exitCode: 0,
      after: undefined,
      checks: undefined,
      error: undefined,
    })
    expect(record.time?.wallSeconds).toBeGreaterThanOrEqual(0)
    expect(record.time?.maxRssKb).toBeGreaterThan(0)
    expect(lines).toEqual([])
  })
})

describe('another build of tote (--build)', () => {
  it("runs that build's bin/tote.js, with the phase's arguments, in place of this checkout's", async () => {
    const root = mkdtempSync(join(tmpdir(), 'pm-bench-build-'))
    // The other build: a launcher that says what it was asked and writes the lockfile p1 checks.
    const bin = join(root, 'other', 'bin', 'tote.js')
    mkdirSync(join(root, 'other', 'bin'), { recursive: true })
    const asked = join(root, 'asked.txt')
    writeFileSync(bin, `#!/bin/sh\necho "$@" > '${asked}'\necho '{}' > package-lock.json\n`)
    chmodSync(bin, 0o755)
    const runner = runnerIn(root, {
      // This checkout's tote would fail the run.
      tools: new Map([['tote', { command: '/bin/false', args: [], env: {} }]]),
    })
    const record = await runner.runStep(
      {
        round: 1,
        warmup: false,
        phase: 'p1_resolve',
        contender: { key: 'tote[other]', pm: 'tote', variant: { name: 'other', args: [], env: {}, bin } },
      },
      1,
    )
    expect(record).toMatchObject({ contender: 'tote[other]', status: 'ok', exitCode: 0 })
    expect(record.argv[0]).toBe(bin)
    expect(readFileSync(asked, 'utf8')).toMatch(
      /^install --lockfile-only --cache-dir \S+ --registry http:\/\/127\.0\.0\.1:4873\/ --ignore-scripts\n$/,
    )
  })
})

describe('--trust: approvals written, scripts on, the trusted build checked', () => {
  it('fails the run of a package manager that did not build the trusted package', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pm-bench-trust-run-'))
    // A package manager that says what it was given, installs `addon`, and builds it only when
    // package.json approves it in allowScripts (as npm and tote read it).
    const fake = join(root, 'fake-pm.sh')
    writeFileSync(
      fake,
      [
        'echo "$@" > asked.txt',
        'echo "$npm_config_nodedir" > nodedir.txt',
        "echo '{}' > package-lock.json && echo '{}' > bun.lock",
        'mkdir -p node_modules/addon',
        `echo '{"name":"addon","version":"1.0.0"}' > node_modules/addon/package.json`,
        "echo '{}' > node_modules/addon/binding.gyp",
        "echo 'module.exports = 1' > node_modules/addon/index.js",
        'if grep -q allowScripts package.json; then',
        '  mkdir -p node_modules/addon/build/Release && echo built > node_modules/addon/build/Release/addon.node',
        'fi',
        '',
      ].join('\n'),
    )
    const tool = { command: '/bin/sh', args: [fake], env: {} }
    const runner = runnerIn(root, {
      tools: new Map([
        ['tote', tool],
        ['bun', tool],
      ]),
      trust: [{ name: 'addon', range: '^1.0.0' }],
      nodedir: '/opt/node',
    })
    const step = (pm: 'tote' | 'bun') =>
      ({ round: 1, warmup: false, phase: 'p0_full_cold', contender: { key: pm, pm } }) as const
    const tote = await runner.runStep(step('tote'), 1)
    expect(tote).toMatchObject({ status: 'ok', error: undefined })
    expect(tote.checks?.trusted).toEqual([
      { name: 'addon', loads: true, nativeFiles: 1, hasBindingGyp: true },
    ])
    const projectDir = join(root, 'work', '001-r1-p0_full_cold-tote', 'project')
    expect(readFileSync(join(projectDir, 'asked.txt'), 'utf8')).not.toContain('--ignore-scripts')
    expect(readFileSync(join(projectDir, 'nodedir.txt'), 'utf8')).toBe('/opt/node\n')
    expect(JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8'))).toEqual({
      name: 'fixture',
      version: '1.0.0',
      dependencies: { addon: '^1.0.0' },
      allowScripts: { addon: true },
    })
    // bun's approval is trustedDependencies, which this package manager does not read: no build.
    const bun = await runner.runStep(step('bun'), 2)
    expect(bun).toMatchObject({ status: 'fail', error: 'check failed: addon was not built (no .node file)' })
  })
})

describe("a contender's own lockfile, made untimed before a phase that needs one", () => {
  it('is tried again in fresh folders when a try fails (a mirror answering from a stale copy)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pm-bench-lockfile-retry-'))
    // A package manager whose first resolve fails, as npm's did on an ETARGET from a stale packument.
    const tries = join(root, 'tries.txt')
    const fake = join(root, 'fake-pm.sh')
    writeFileSync(
      fake,
      [
        `echo "$1 $2" >> '${tries}'`,
        `if [ "$2" = "--lockfile-only" ] && [ "$(wc -l < '${tries}')" -lt 2 ]; then echo 'ETARGET' >&2; exit 1; fi`,
        `if [ "$2" = "--lockfile-only" ]; then echo '{"lockfileVersion":3}' > package-lock.json; fi`,
        '',
      ].join('\n'),
    )
    const lines: string[] = []
    const runner = runnerIn(root, {
      tools: new Map([['tote', { command: '/bin/sh', args: [fake], env: {} }]]),
      log: (line) => lines.push(line),
      note: (line) => lines.push(line),
    })
    const record = await runner.runStep(
      { round: 1, warmup: false, phase: 'p3_cold_install', contender: { key: 'tote', pm: 'tote' } },
      1,
    )
    expect(record.error ?? '').not.toContain('could not make its lockfile')
    expect(readFileSync(tries, 'utf8').trim().split('\n')).toEqual([
      'install --lockfile-only',
      'install --lockfile-only',
      'ci --cache-dir',
    ])
    expect(lines).toContain("  making tote's lockfile (p1_resolve, untimed, try 2)")
  })
})
