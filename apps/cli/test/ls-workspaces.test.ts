import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scratch, tote } from './_tote.js'

// ls, why and outdated in a workspaces project. The expected text is what npm 11.19.1 printed for the
// same project (the same names and versions, from the real registry; npm's ls adds a blank line at
// the end, tote's does not): workspaces are links under the project, their dependencies are theirs
// (not extraneous), npm counts ls depth from them, and -w/--workspaces choose among them.

let registry: TestRegistry

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: {
      ms: { versions: { '2.1.2': {}, '2.1.3': {} } },
      'is-number': { versions: { '6.0.0': {}, '7.0.0': {} } },
      'is-odd': { versions: { '3.0.1': { dependencies: { 'is-number': '^6.0.0' } } } },
    },
  })
})
afterAll(() => registry.close())

async function installedMonorepo() {
  const project = scratch({
    name: 'root',
    version: '1.0.0',
    workspaces: ['packages/*'],
    dependencies: { ms: '2.1.2' },
  })
  const workspace = (name: string, manifest: unknown) => {
    mkdirSync(join(project.dir, 'packages', name), { recursive: true })
    writeFileSync(join(project.dir, 'packages', name, 'package.json'), JSON.stringify(manifest))
  }
  workspace('a', { name: 'a', version: '1.0.0', dependencies: { ms: '^2.0.0', 'is-number': '7.0.0' } })
  workspace('b', { name: 'b', version: '2.0.0', dependencies: { 'is-odd': '^3.0.0' } })
  const run = (...args: string[]) => tote(args, { ...project, cwd: project.dir, registry: registry.url })
  expect((await run('install')).code).toBe(0)
  return { project, run }
}

describe('ls and why in a workspaces project', () => {
  it('ls shows each workspace as a link with its dependencies, as npm ls does', async () => {
    const { project, run } = await installedMonorepo()
    const result = await run('ls')
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(
      [
        `root@1.0.0 ${project.dir}`,
        '├─┬ a@1.0.0 -> ./packages/a',
        '│ ├── is-number@7.0.0',
        '│ └── ms@2.1.2 deduped',
        '├─┬ b@2.0.0 -> ./packages/b',
        '│ └── is-odd@3.0.1',
        '└── ms@2.1.2',
        '',
      ].join('\n'),
    )
    const all = JSON.parse((await run('ls', '--all', '--json')).stdout)
    expect(all.dependencies.a).toMatchObject({
      version: '1.0.0',
      resolved: 'file:../packages/a',
      overridden: false,
      dependencies: { 'is-number': { version: '7.0.0' }, ms: { version: '2.1.2' } },
    })
    expect(all.dependencies.b.dependencies['is-odd'].dependencies['is-number'].version).toBe('6.0.0')
    expect(JSON.stringify(all)).not.toContain('extraneous')
  })

  it('why follows a dependency through its workspace to the project', async () => {
    const { run } = await installedMonorepo()
    const result = await run('why', 'is-number')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(
      [
        'is-number@6.0.0',
        'node_modules/is-odd/node_modules/is-number',
        '  is-number@"^6.0.0" from is-odd@3.0.1',
        '  node_modules/is-odd',
        '    is-odd@"^3.0.0" from b@2.0.0',
        '    node_modules/b',
        '      workspace packages/b from the root project',
      ].join('\n'),
    )
    expect(result.stdout).not.toContain('extraneous')
    // -w: only the copies that workspace leads to (npm explain -w)
    const inA = await run('why', 'is-number', '-w', 'a')
    expect(inA.code).toBe(0)
    expect(inA.stdout).toContain('is-number@7.0.0\n')
    expect(inA.stdout).not.toContain('is-number@6.0.0')
    const notInA = await run('why', 'is-odd', '-w', 'a')
    expect(notInA.code).toBe(1)
    expect(notInA.stderr).toContain('tote error ENOMATCH')
  })

  it('-w, --workspaces and --include-workspace-root choose what ls and outdated show, as npm', async () => {
    const { project, run } = await installedMonorepo()
    expect((await run('ls', '-w', 'a')).stdout).toBe(
      [
        `root@1.0.0 ${project.dir}`,
        '└─┬ a@1.0.0 -> ./packages/a',
        '  ├── is-number@7.0.0',
        '  └── ms@2.1.2',
        '',
      ].join('\n'),
    )
    expect((await run('ls', '-w', 'b', '--include-workspace-root')).stdout).toBe(
      [
        `root@1.0.0 ${project.dir}`,
        '├─┬ b@2.0.0 -> ./packages/b',
        '│ └── is-odd@3.0.1',
        '└── ms@2.1.2',
        '',
      ].join('\n'),
    )
    const name = project.dir.split('/').at(-1)
    const outdated = await run('outdated')
    expect(outdated.code).toBe(1)
    expect(outdated.stdout).toBe(
      [
        'Package  Current  Wanted  Latest  Location         Depended by',
        'ms         2.1.2   2.1.3   2.1.3  node_modules/ms  a@1.0.0',
        `ms         2.1.2   2.1.2   2.1.3  node_modules/ms  ${name}`,
        '',
      ].join('\n'),
    )
    const onlyA = await run('outdated', '-w', 'a')
    expect(onlyA.stdout).toContain('a@1.0.0')
    expect(onlyA.stdout).not.toContain(` ${name}\n`)
    expect((await run('outdated', '-w', 'b')).code).toBe(0)
  })
})
