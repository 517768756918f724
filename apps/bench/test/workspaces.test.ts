import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveFixture } from '../src/_args.js'
import { createRunner } from '../src/_runner.js'

/** A workspaces monorepo: `packages/*` (two packages and a folder without one) and `tools`. */
function monorepo(root: string): string {
  const dir = join(root, 'fixture')
  const write = (path: string, value: unknown) => {
    mkdirSync(join(dir, path, '..'), { recursive: true })
    writeFileSync(join(dir, path), `${JSON.stringify(value)}\n`)
  }
  write('package.json', { name: 'mono', version: '1.0.0', workspaces: ['packages/*', 'tools'] })
  write('packages/a/package.json', { name: 'a', version: '1.0.0', dependencies: { b: '^1.0.0' } })
  write('packages/b/package.json', { name: 'b', version: '1.0.0' })
  write('packages/notes/readme.json', {})
  write('tools/package.json', { name: 'tools', version: '1.0.0', dependencies: { a: '^1.0.0' } })
  write('node_modules/x/package.json', { name: 'x' })
  return dir
}

describe('a workspaces fixture', () => {
  it('is read with its workspace folders, those with a package.json', () => {
    const root = mkdtempSync(join(tmpdir(), 'pm-bench-ws-'))
    const fixture = resolveFixture(monorepo(root), root)
    expect(fixture.workspaces).toEqual({
      patterns: ['packages/*', 'tools'],
      folders: ['packages/a', 'packages/b', 'tools'],
    })
    // a single-package project has none
    expect(resolveFixture(join(fixture.dir, 'packages', 'a'), root).workspaces).toBeUndefined()
  })

  it("gives every run's project folder the workspaces' package.json files, and pnpm a pnpm-workspace.yaml it reads", async () => {
    const root = mkdtempSync(join(tmpdir(), 'pm-bench-ws-'))
    const fixture = resolveFixture(monorepo(root), root)
    mkdirSync(join(root, 'work'))
    // pnpm's stand-in: says what it was asked and what the project folder holds, writes its lockfile
    const bin = join(root, 'pnpm')
    const seen = join(root, 'seen.txt')
    writeFileSync(
      bin,
      `#!/bin/sh\n{ echo "$@"; find . -name package.json | sort; cat pnpm-workspace.yaml; } > '${seen}'\necho 'lockfileVersion: 9' > pnpm-lock.yaml\n`,
    )
    chmodSync(bin, 0o755)
    const runner = createRunner({
      fixture,
      registry: 'http://127.0.0.1:4873/',
      hostsFile: undefined,
      env: { PATH: process.env.PATH ?? '' },
      tools: new Map([['pnpm', { command: bin, args: [], env: {} }]]),
      toteFrozenCommand: 'ci',
      addPackage: 'zod',
      isAvailable: () => true,
      workDir: join(root, 'work'),
      lockfileDir: join(root, 'lockfiles'),
      minFreeBytes: 0,
      redact: (text) => text,
      log: () => {},
      note: () => {},
    })
    const record = await runner.runStep(
      { round: 1, warmup: false, phase: 'p1_resolve', contender: { key: 'pnpm', pm: 'pnpm' } },
      1,
    )
    expect(record).toMatchObject({ status: 'ok', exitCode: 0 })
    const [argv, ...rest] = readFileSync(seen, 'utf8').trimEnd().split('\n')
    // the project's own pnpm-workspace.yaml applies: no --ignore-workspace
    expect(argv).toMatch(/^install --lockfile-only --registry \S+ --store-dir /)
    expect(argv).not.toContain('--ignore-workspace')
    expect(rest).toEqual([
      './package.json',
      './packages/a/package.json',
      './packages/b/package.json',
      './tools/package.json',
      'packages:',
      '  - "packages/*"',
      '  - "tools"',
      'linkWorkspacePackages: true',
    ])
  })
})
