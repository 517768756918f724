import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scratch, startTote, tote } from './_tote.js'

// add, remove, update, ls and why beyond npm's bytes (manage-npm.test.ts): everything or nothing
// when something fails, --json, --dry-run, --no-save, --latest, and the text of ls and why.

let registry: TestRegistry

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: {
      a: { versions: { '1.0.0': {}, '1.1.0': {}, '2.0.0': { dependencies: { c: '^1.0.0' } } } },
      b: { versions: { '1.0.0': { dependencies: { c: '^1.0.0' } } } },
      c: { versions: { '1.0.0': {}, '1.5.0': {} } },
      slow: { versions: { '1.0.0': {} } },
      broken: { versions: { '1.0.0': { dependencies: { c: '^1.0.0' } } } },
      old: { versions: { '1.0.0': { dependencies: { c: '1.0.0' } } } },
    },
  })
})
afterAll(() => registry.close())

type Project = ReturnType<typeof scratch>

function run(project: Project, args: string[]) {
  return tote(args, { ...project, cwd: project.dir, registry: registry.url })
}

/** Every file and folder under node_modules, with each package.json's version: what is installed. */
function installed(project: Project): string[] {
  const out: string[] = []
  const walk = (dir: string, prefix: string) => {
    if (!existsSync(dir)) return
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === '.tote-lock') continue
      const path = `${prefix}${entry.name}`
      if (entry.isDirectory()) {
        out.push(`${path}/`)
        walk(join(dir, entry.name), `${path}/`)
      } else out.push(`${path} ${readFileSync(join(dir, entry.name), 'utf8').length}`)
    }
  }
  walk(join(project.dir, 'node_modules'), '')
  return out.sort()
}

/** The project's three parts as they are now. */
function snapshot(project: Project) {
  const read = (name: string) =>
    existsSync(join(project.dir, name)) ? readFileSync(join(project.dir, name), 'utf8') : null
  return {
    packageJson: read('package.json'),
    lockfile: read('package-lock.json'),
    nodeModules: installed(project),
  }
}

/** A project with b installed (b → c). */
async function installedProject(): Promise<Project> {
  const project = scratch(
    '{\n\t"name": "p",\n\t"version": "1.0.0",\n\t"dependencies": {\n\t\t"b": "^1.0.0"\n\t}\n}\n',
  )
  const result = await run(project, ['install'])
  expect(result.code, result.stderr).toBe(0)
  return project
}

describe('tote add: everything or nothing', () => {
  it('a version that does not exist (ETARGET) changes nothing', async () => {
    const project = await installedProject()
    const before = snapshot(project)
    const result = await run(project, ['add', 'a@9.9.9'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('tote error ETARGET')
    expect(snapshot(project)).toEqual(before)
  })

  it('a spec that is not one is refused before anything is fetched', async () => {
    const project = await installedProject()
    const before = snapshot(project)
    const requests = registry.requests.length
    const result = await run(project, ['add', 'a@^1', 'c@not a range!'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      'tote error EINVALIDTAGNAME: Invalid tag name "not a range!" of "c@not a range!"',
    )
    expect(registry.requests.length).toBe(requests)
    expect(snapshot(project)).toEqual(before)
  })

  it('a tarball the registry keeps failing puts node_modules back as it was', async () => {
    const project = await installedProject()
    const before = snapshot(project)
    registry.fault(registry.tarballPath('broken', '1.0.0'), { status: 500 })
    try {
      const result = await run(project, ['add', 'broken', 'a@1.1.0'])
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('tote warn EROLLBACK: installing failed')
      expect(snapshot(project)).toEqual(before)
    } finally {
      registry.clearFaults()
    }
  })

  it('Ctrl-C while resolving leaves all three as they were, and says so', async () => {
    const project = await installedProject()
    const before = snapshot(project)
    // the packument or the version document (`/slow/latest`): held until the run is stopped
    registry.fault(/^\/slow(\/|$)/, { delayMs: 30_000 })
    try {
      const started = startTote(['add', 'slow'], { ...project, cwd: project.dir, registry: registry.url })
      await waitFor(() => registry.requests.some((request) => /^\/slow(\/|$)/.test(request.path)))
      started.child.kill('SIGINT')
      const exit = await started.exited
      expect(exit.code).toBe(130)
      expect(exit.stderr).toContain(
        'tote: add interrupted (SIGINT); package.json, package-lock.json and node_modules are as they were',
      )
      expect(snapshot(project)).toEqual(before)
    } finally {
      registry.clearFaults()
    }
  })

  it('Ctrl-C while node_modules is being changed puts it back as it was', async () => {
    const project = await installedProject()
    const before = snapshot(project)
    registry.fault(registry.tarballPath('slow', '1.0.0'), { delayMs: 30_000 })
    try {
      const args = ['add', 'slow', 'a@1.1.0', '--verbose']
      const started = startTote(args, { ...project, cwd: project.dir, registry: registry.url })
      await started.saidOnStderr('tote: installing')
      started.child.kill('SIGINT')
      const exit = await started.exited
      expect(exit.code).toBe(130)
      expect(exit.stderr).toContain(
        'tote: add interrupted (SIGINT); package.json and package-lock.json are as they were; putting node_modules back as it was',
      )
      expect(exit.stderr).toContain('tote: node_modules is back as it was')
      expect(snapshot(project)).toEqual(before)
    } finally {
      registry.clearFaults()
    }
  })
})

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20))
  expect(condition()).toBe(true)
}

describe('tote add, remove, update', () => {
  it('add says what it added and where; --json prints one document', async () => {
    const project = await installedProject()
    const text = await run(project, ['add', '-D', 'x@npm:a@^1'])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toContain('added x (a@1.1.0) to devDependencies ("npm:a@^1.1.0")\n')
    const json = await run(project, ['add', '--json', '-E', 'a@2'])
    expect(json.code, json.stderr).toBe(0)
    expect(JSON.parse(json.stdout)).toEqual({
      command: 'add',
      added: [{ name: 'a', version: '2.0.0', path: 'node_modules/a', field: 'dependencies', spec: '2.0.0' }],
      packageJson: 'written',
      lockfile: 'written',
      nodeModules: { added: 1, removed: 0, changed: 0, kept: 3 },
    })
    expect(JSON.parse(readFileSync(join(project.dir, 'package.json'), 'utf8')).dependencies).toEqual({
      a: '2.0.0',
      b: '^1.0.0',
    })
  })

  it('remove takes the names out of package.json, node_modules and the lockfile; --json', async () => {
    const project = await installedProject()
    expect((await run(project, ['add', 'a@2'])).code).toBe(0)
    const result = await run(project, ['rm', '--json', 'b', 'nothere'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toContain('tote warn ENOTDEPENDENCY: nothere is not a dependency of the project')
    expect(JSON.parse(result.stdout)).toMatchObject({
      command: 'remove',
      removed: [{ name: 'b', field: 'dependencies' }],
      packageJson: 'written',
      lockfile: 'written',
      nodeModules: { added: 0, removed: 1, changed: 0 },
    })
    expect(readFileSync(join(project.dir, 'package.json'), 'utf8')).toBe(
      '{\n\t"name": "p",\n\t"version": "1.0.0",\n\t"dependencies": {\n\t\t"a": "^2.0.0"\n\t}\n}\n',
    )
    expect(existsSync(join(project.dir, 'node_modules/b'))).toBe(false)
    expect(existsSync(join(project.dir, 'node_modules/c'))).toBe(true) // a@2 needs it
  })

  it('remove counts the packages nested in a removed one, as npm does', async () => {
    const project = scratch({ name: 'p', version: '1.0.0', dependencies: { c: '1.5.0' } })
    expect((await run(project, ['install'])).code).toBe(0)
    expect((await run(project, ['add', 'old'])).code).toBe(0)
    expect(existsSync(join(project.dir, 'node_modules/old/node_modules/c/package.json'))).toBe(true)
    const result = await run(project, ['remove', 'old'])
    expect(result.code, result.stderr).toBe(0)
    // npm uninstall old: "removed 2 packages" (old, and the c 1.0.0 under it)
    expect(result.stdout).toMatch(/^removed old from dependencies\nremoved 2 packages in [\d.]+s\n$/)
    expect(readdirSync(join(project.dir, 'node_modules')).sort()).toEqual(['.package-lock.json', 'c'])
  })

  it('install --json prints one document about a plain install', async () => {
    const project = scratch({ name: 'p', dependencies: { b: '^1.0.0' } })
    const result = await run(project, ['install', '--json'])
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({
      command: 'install',
      packageJson: 'unchanged',
      lockfile: 'written',
      nodeModules: { added: 2, removed: 0, changed: 0, kept: 0 },
    })
  })

  it('remove without names is a usage error', async () => {
    const project = await installedProject()
    const result = await run(project, ['remove'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(
      'tote error EUSAGE: tote remove needs the names of the dependencies to remove.',
    )
  })

  it('--dry-run writes nothing; --no-save installs without touching package.json or the lockfile', async () => {
    const project = await installedProject()
    const before = snapshot(project)
    const dry = await run(project, ['add', '--dry-run', 'a'])
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toContain('dry run, not done: added a@2.0.0 to dependencies ("^2.0.0")')
    expect(snapshot(project)).toEqual(before)
    const noSave = await run(project, ['add', '--no-save', 'a'])
    expect(noSave.code, noSave.stderr).toBe(0)
    const after = snapshot(project)
    expect(after.packageJson).toBe(before.packageJson)
    expect(after.lockfile).toBe(before.lockfile)
    expect(existsSync(join(project.dir, 'node_modules/a/package.json'))).toBe(true)
  })

  it('update writes package-lock.json even with --no-save, as npm update does; package.json stays', async () => {
    const project = scratch({ name: 'p' })
    expect((await run(project, ['add', 'c@1.0.0'])).code).toBe(0)
    const packageJson = readFileSync(join(project.dir, 'package.json'), 'utf8')
    expect(packageJson).toContain('"c": "^1.0.0"')
    const result = await run(project, ['update', '--no-save'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('updated c 1.0.0 → 1.5.0')
    const lockfile = JSON.parse(readFileSync(join(project.dir, 'package-lock.json'), 'utf8'))
    expect(lockfile.packages['node_modules/c'].version).toBe('1.5.0')
    expect(readFileSync(join(project.dir, 'package.json'), 'utf8')).toBe(packageJson)
  })

  it('update --latest moves ranges to the latest versions, keeping ~ and exact', async () => {
    const project = scratch({ name: 'p', dependencies: { a: '~1.0.0', c: '1.0.0' } })
    expect((await run(project, ['install'])).code).toBe(0)
    const result = await run(project, ['update', '--latest', '--json'])
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(readFileSync(join(project.dir, 'package.json'), 'utf8')).dependencies).toEqual({
      a: '~2.0.0',
      c: '1.5.0',
    })
    expect(JSON.parse(result.stdout).updated).toEqual([
      { path: 'node_modules/a', name: 'a', from: '1.0.0', to: '2.0.0' },
      { path: 'node_modules/c', name: 'c', from: '1.0.0', to: '1.5.0' },
    ])
  })
})

describe('tote ls and tote why', () => {
  it('ls prints the tree; with a name, the paths to it', async () => {
    const project = await installedProject()
    expect((await run(project, ['add', 'a@2'])).code).toBe(0)
    const ls = await run(project, ['ls', '--all'])
    expect(ls.code, ls.stderr).toBe(0)
    expect(ls.stdout).toBe(
      `p@1.0.0 ${project.dir}\n├─┬ a@2.0.0\n│ └── c@1.5.0\n└─┬ b@1.0.0\n  └── c@1.5.0 deduped\n`,
    )
    const filtered = await run(project, ['ls', 'b'])
    expect(filtered.stdout).toBe(`p@1.0.0 ${project.dir}\n└── b@1.0.0\n`)
  })

  it('ls names a missing dependency and exits 1', async () => {
    const project = await installedProject()
    const manifest = JSON.parse(readFileSync(join(project.dir, 'package.json'), 'utf8'))
    writeFileSync(
      join(project.dir, 'package.json'),
      JSON.stringify({ ...manifest, devDependencies: { a: '^1' } }),
    )
    const ls = await run(project, ['ls'])
    expect(ls.code).toBe(1)
    expect(ls.stdout).toBe(`p@1.0.0 ${project.dir}\n├── UNMET DEPENDENCY a@^1\n└── b@1.0.0\n`)
    expect(ls.stderr).toContain('missing: a@^1, required by p@1.0.0')
  })

  it('why shows every copy and the dependency paths to it, with the ranges on each edge', async () => {
    const project = await installedProject()
    expect((await run(project, ['add', '-D', 'a@2'])).code).toBe(0)
    const why = await run(project, ['why', 'c'])
    expect(why.code, why.stderr).toBe(0)
    expect(why.stdout).toBe(
      [
        'c@1.5.0',
        'node_modules/c',
        '  c@"^1.0.0" from a@2.0.0 dev',
        '  node_modules/a',
        '    dev a@"^2.0.0" from the root project',
        '  c@"^1.0.0" from b@1.0.0',
        '  node_modules/b',
        '    b@"^1.0.0" from the root project',
        '',
      ].join('\n'),
    )
    const json = await run(project, ['explain', '--json', 'c'])
    expect(JSON.parse(json.stdout)).toEqual([
      {
        name: 'c',
        version: '1.5.0',
        location: 'node_modules/c',
        isWorkspace: false,
        dependents: [
          {
            type: 'prod',
            name: 'c',
            spec: '^1.0.0',
            from: {
              name: 'a',
              version: '2.0.0',
              location: 'node_modules/a',
              isWorkspace: false,
              dependents: [{ type: 'dev', name: 'a', spec: '^2.0.0', from: { location: project.dir } }],
            },
          },
          {
            type: 'prod',
            name: 'c',
            spec: '^1.0.0',
            from: {
              name: 'b',
              version: '1.0.0',
              location: 'node_modules/b',
              isWorkspace: false,
              dependents: [{ type: 'prod', name: 'b', spec: '^1.0.0', from: { location: project.dir } }],
            },
          },
        ],
        dev: false,
        optional: false,
        devOptional: false,
        peer: false,
      },
    ])
  })
})
