import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scratch, tote } from './_tote.js'

// The resolver's npm oracle (packages/resolver/test/npm-peer-conflicts.json: what npm 11.19.1's
// `npm install --package-lock-only` did, flag by flag), through the command line: the exit code, the
// error, and the lockfile bytes where npm wrote one. The packages are the resolver's cases
// `project-two-peer-sets` (a and b, project dependencies, peer on x@^1 and x@^2) and
// `deep-peer-vs-own-dependency` (d depends on host@^2 and on plugin, which peers on host@^1).
const recorded = JSON.parse(
  readFileSync(new URL('../../../packages/resolver/test/npm-peer-conflicts.json', import.meta.url), 'utf8'),
) as { results: Record<string, Record<string, { exit: number; eresolve: boolean; lockfile?: string }>> }

let registry: TestRegistry

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: {
      a: { versions: { '1.0.0': { peerDependencies: { x: '^1' } } } },
      b: { versions: { '1.0.0': { peerDependencies: { x: '^2' } } } },
      x: { versions: { '1.0.0': {}, '2.0.0': {} } },
      d: { versions: { '1.0.0': { dependencies: { host: '^2', plugin: '^1' } } } },
      plugin: { versions: { '1.0.0': { peerDependencies: { host: '^1' } } } },
      host: { versions: { '1.0.0': {}, '2.0.0': {} } },
    },
  })
})
afterAll(() => registry.close())

const projectConflict = { name: 'project', version: '1.0.0', dependencies: { a: '^1', b: '^1' } }
const deepConflict = { name: 'project', version: '1.0.0', dependencies: { d: '^1' } }

async function install(project: ReturnType<typeof scratch>, flags: string[] = []) {
  return tote(['install', '--lockfile-only', ...flags], {
    ...project,
    cwd: project.dir,
    registry: registry.url,
  })
}

function npmLockfile(caseName: string, mode: string): string {
  const outcome = recorded.results[caseName]![mode]!
  expect(outcome.exit).toBe(0)
  return outcome.lockfile!.split('{registry}').join(registry.url)
}

describe('peer conflicts, as npm', () => {
  it('stops with ERESOLVE on the project’s own conflict, naming both chains, and writes no lockfile', async () => {
    expect(recorded.results['project-two-peer-sets']!.default!.eresolve).toBe(true)
    const project = scratch(projectConflict)
    const run = await install(project)
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(
      [
        'tote error ERESOLVE: Conflicting peer dependency: x',
        '  found:  x@1.0.0, for root → a@1.0.0 → peer x@^1',
        '  wanted: root → b@1.0.0 → peer x@^2',
        '  hint: Fix the versions in package.json, or run with --legacy-peer-deps (ignore peers) or --force (accept a broken tree), as with npm.',
      ].join('\n'),
    )
    expect(existsSync(join(project.dir, 'package-lock.json'))).toBe(false)
  })

  it('with --force, warns and writes the lockfile npm writes with --force', async () => {
    const project = scratch(projectConflict)
    const run = await install(project, ['--force'])
    expect(run.code).toBe(0)
    expect(run.stderr).toContain('EPEERCONFLICT')
    expect(run.stderr).toContain('b@1.0.0 wants peer x@^2, but x@1.0.0 is installed instead')
    expect(readFileSync(join(project.dir, 'package-lock.json'), 'utf8')).toBe(
      npmLockfile('project-two-peer-sets', 'force'),
    )
  })

  it('force from an npmrc does the same', async () => {
    const project = scratch(projectConflict)
    writeFileSync(join(project.dir, '.npmrc'), 'force=true\n')
    const run = await install(project)
    expect(run.code).toBe(0)
    expect(readFileSync(join(project.dir, 'package-lock.json'), 'utf8')).toBe(
      npmLockfile('project-two-peer-sets', 'force'),
    )
  })

  it('with --legacy-peer-deps, ignores peers and writes npm’s lockfile', async () => {
    const project = scratch(projectConflict)
    const run = await install(project, ['--legacy-peer-deps'])
    expect(run.code).toBe(0)
    expect(readFileSync(join(project.dir, 'package-lock.json'), 'utf8')).toBe(
      npmLockfile('project-two-peer-sets', 'legacy'),
    )
  })

  it('goes on past a dependency’s own conflict, unless strict-peer-deps is set (flag or npmrc)', async () => {
    const lenient = scratch(deepConflict)
    const run = await install(lenient)
    expect(run.code).toBe(0)
    expect(readFileSync(join(lenient.dir, 'package-lock.json'), 'utf8')).toBe(
      npmLockfile('deep-peer-vs-own-dependency', 'default'),
    )

    expect(recorded.results['deep-peer-vs-own-dependency']!.strict!.eresolve).toBe(true)
    const strictFlag = scratch(deepConflict)
    const flagged = await install(strictFlag, ['--strict-peer-deps'])
    expect(flagged.code).toBe(1)
    expect(flagged.stderr).toContain('tote error ERESOLVE: Conflicting peer dependency: host')
    expect(flagged.stderr).toContain('  wanted: root → d@1.0.0 → plugin@1.0.0 → peer host@^1')
    expect(flagged.stderr).toContain('--no-strict-peer-deps')

    const strictRc = scratch(deepConflict)
    writeFileSync(join(strictRc.dir, '.npmrc'), 'strict-peer-deps=true\n')
    const configured = await install(strictRc)
    expect(configured.code).toBe(1)
    expect(configured.stderr).toContain('tote error ERESOLVE')
  })
})
