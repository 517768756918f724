import { execFileSync } from 'node:child_process'
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import { hiddenLockfile, parseLockfile, stringifyLockfile } from '@tote/lockfile'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// The resolver's npm oracle: its cases (projects with workspaces and file: folders) and the
// lockfile bytes npm 11.19.1 wrote for each (`npm install --package-lock-only --ignore-scripts
// --no-audit --no-fund` against @tote/test-registry, recorded by its derive-local-cases.ts).
import {
  CASES,
  PACKAGES,
  type ProjectFiles,
  writeFiles,
} from '../../../packages/resolver/test/_local-cases.js'
import { scratch, tote } from './_tote.js'

const recorded = JSON.parse(
  readFileSync(new URL('../../../packages/resolver/test/npm-local-cases.json', import.meta.url), 'utf8'),
) as { npm: string; results: Record<string, string[]> }

let registry: TestRegistry

beforeAll(async () => {
  registry = await createTestRegistry({ packages: PACKAGES })
})
afterAll(() => registry.close())

/** A scratch project holding a case's first step (its `project/` files; others beside it). */
function caseProject(name: string, steps = 1) {
  const c = CASES.find((x) => x.name === name)!
  const project = scratch()
  for (const step of c.steps.slice(0, steps)) writeFiles(dirname(project.dir), step, registry.url)
  return project
}

/** npm's lockfile for a case's step, for this registry. */
function npmLockfile(name: string, step = 0): string {
  return recorded.results[name]![step]!.split('{registry}').join(registry.url)
}

function run(project: ReturnType<typeof scratch>, args: string[]) {
  return tote(args, { ...project, cwd: project.dir, registry: registry.url })
}

/** What `require(name).version` gives from `folder` (the test registry's packages export their version). */
function versionSeenFrom(folder: string, name: string): string {
  return execFileSync(process.execPath, ['-p', `require(${JSON.stringify(name)}).version`], {
    cwd: folder,
    encoding: 'utf8',
  }).trim()
}

/** Every path under node_modules folders of the project (links not followed), sorted. */
function installed(dir: string): string[] {
  const found: string[] = []
  const walk = (folder: string, prefix: string) => {
    if (!existsSync(folder)) return
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = `${prefix}${entry.name}`
      if (entry.name === 'node_modules') walkModules(join(folder, entry.name), `${path}/`)
      else if (entry.isDirectory() && !entry.isSymbolicLink()) walk(join(folder, entry.name), `${path}/`)
    }
  }
  const walkModules = (folder: string, prefix: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue
      const path = `${prefix}${entry.name}`
      if (entry.name.startsWith('@')) walkModules(join(folder, entry.name), `${path}/`)
      else {
        found.push(entry.isSymbolicLink() ? `${path} -> ${readlinkSync(join(folder, entry.name))}` : path)
        if (!entry.isSymbolicLink() && existsSync(join(folder, entry.name, 'node_modules'))) {
          walkModules(join(folder, entry.name, 'node_modules'), `${path}/node_modules/`)
        }
      }
    }
  }
  walk(dir, '')
  return found.sort()
}

function hiddenKeys(dir: string): string[] {
  return Object.keys(JSON.parse(readFileSync(join(dir, 'node_modules/.package-lock.json'), 'utf8')).packages)
}

describe('workspaces', () => {
  it('install writes npm’s lockfile, links each workspace, places each package where npm does', async () => {
    const project = caseProject('workspaces')
    const first = await run(project, ['install'])
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(readFileSync(join(project.dir, 'package-lock.json'), 'utf8')).toBe(npmLockfile('workspaces'))
    expect(installed(project.dir)).toEqual([
      'node_modules/a -> ../packages/a',
      'node_modules/b -> ../packages/b',
      'node_modules/c -> ../packages/c',
      'node_modules/leaf',
      'node_modules/shared',
      'node_modules/tool',
      'node_modules/uses-shared1',
      'node_modules/uses-shared1/node_modules/shared',
      'packages/a/node_modules/shared',
      'packages/c/node_modules/leaf',
    ])
    // Node finds what the lockfile says, from each workspace
    expect(versionSeenFrom(join(project.dir, 'packages/a'), 'shared')).toBe('1.0.0')
    expect(versionSeenFrom(join(project.dir, 'packages/c'), 'shared')).toBe('2.0.0')
    expect(versionSeenFrom(join(project.dir, 'packages/c'), 'leaf')).toBe('1.0.0')
    expect(versionSeenFrom(project.dir, 'leaf')).toBe('1.1.0')
    expect(readlinkSync(join(project.dir, 'node_modules/.bin/tool'))).toBe('../tool/cli.js')
    // the hidden lockfile is npm's: the lockfile less the root entry, links and workspaces included
    expect(readFileSync(join(project.dir, 'node_modules/.package-lock.json'), 'utf8')).toBe(
      stringifyLockfile(hiddenLockfile(parseLockfile(npmLockfile('workspaces')))),
    )
    const again = await run(project, ['install'])
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/^up to date in /m)
  })

  it('add in a workspaces project keeps the workspaces, their links and their entries', async () => {
    const project = caseProject('workspaces')
    expect((await run(project, ['install'])).code).toBe(0)
    const added = await run(project, ['add', 'tool'])
    expect(added.stderr).toBe('')
    expect(added.code).toBe(0)
    const lockfile = JSON.parse(readFileSync(join(project.dir, 'package-lock.json'), 'utf8'))
    const before = JSON.parse(npmLockfile('workspaces'))
    // every workspace entry and link npm wrote is still there, as npm wrote it
    for (const path of ['packages/a', 'packages/b', 'packages/c', 'node_modules/a', 'node_modules/b']) {
      expect(lockfile.packages[path], path).toEqual(before.packages[path])
    }
    expect(lockfile.packages[''].dependencies.tool).toBeDefined()
    expect(readlinkSync(join(project.dir, 'node_modules/a'))).toBe('../packages/a')
    expect(versionSeenFrom(join(project.dir, 'packages/c'), 'shared')).toBe('2.0.0')
  })

  it('install from npm’s first lockfile after the workspaces changed gives npm’s second', async () => {
    const project = caseProject('workspaces')
    expect((await run(project, ['install'])).code).toBe(0)
    writeFiles(dirname(project.dir), CASES.find((c) => c.name === 'workspaces')!.steps[1]!)
    const second = await run(project, ['install'])
    expect(second.stderr).toBe('')
    expect(second.code).toBe(0)
    expect(readFileSync(join(project.dir, 'package-lock.json'), 'utf8')).toBe(npmLockfile('workspaces', 1))
    expect(readlinkSync(join(project.dir, 'node_modules/d'))).toBe('../packages/d')
    // c's leaf went with the dependency (npm too leaves the emptied node_modules folder)
    expect(readdirSync(join(project.dir, 'packages/c/node_modules'))).toEqual([])
    expect(installed(project.dir)).toContain('node_modules/opt')
  })

  it('ci installs the workspaces’ links and packages from npm’s lockfile', async () => {
    const project = caseProject('workspaces')
    writeFileSync(join(project.dir, 'package-lock.json'), npmLockfile('workspaces'))
    // something stale in a workspace's node_modules goes, as npm ci empties them
    mkdirSync(join(project.dir, 'packages/b/node_modules/stale'), { recursive: true })
    const ci = await run(project, ['ci'])
    expect(ci.stderr).toBe('')
    expect(ci.code).toBe(0)
    expect(installed(project.dir)).toContain('node_modules/b -> ../packages/b')
    expect(readdirSync(join(project.dir, 'packages/b/node_modules'))).toEqual([])
    expect(versionSeenFrom(join(project.dir, 'packages/a'), 'shared')).toBe('1.0.0')
    expect(hiddenKeys(project.dir)).toEqual(
      Object.keys(parseLockfile(npmLockfile('workspaces')).packages).filter((key) => key !== ''),
    )
  })

  it('ci refuses a lockfile a workspace’s package.json no longer matches, naming it', async () => {
    const project = caseProject('workspaces')
    writeFileSync(join(project.dir, 'package-lock.json'), npmLockfile('workspaces'))
    writeFileSync(
      join(project.dir, 'packages/c/package.json'),
      JSON.stringify({ name: 'c', version: '0.1.0', dependencies: { shared: '^2.0.0' } }),
    )
    const ci = await run(project, ['ci'])
    expect(ci.code).toBe(1)
    expect(ci.stderr).toContain('ELOCKOUTOFSYNC')
    expect(ci.stderr).toContain(
      "the lockfile's packages/c has leaf 1.0.0 in dependencies but packages/c/package.json does not",
    )
    expect(existsSync(join(project.dir, 'node_modules'))).toBe(false)
  })

  // what npm 11.19.1 installs for each filter (`npm install <filter>` on this project, node_modules
  // removed first): the links and packages below, and a hidden lockfile of just those
  const everyWorkspace = [
    'node_modules/a -> ../packages/a',
    'node_modules/b -> ../packages/b',
    'node_modules/c -> ../packages/c',
    'node_modules/shared',
    'node_modules/tool',
    'node_modules/uses-shared1',
    'node_modules/uses-shared1/node_modules/shared',
    'packages/a/node_modules/shared',
    'packages/c/node_modules/leaf',
  ]
  it.each([
    [
      ['-w', 'c'],
      ['node_modules/c -> ../packages/c', 'node_modules/shared', 'packages/c/node_modules/leaf'],
    ],
    [
      ['-w', 'c', '--include-workspace-root'],
      [
        'node_modules/c -> ../packages/c',
        'node_modules/leaf',
        'node_modules/shared',
        'packages/c/node_modules/leaf',
      ],
    ],
    [['--workspaces'], everyWorkspace],
    // a folder holding workspaces chooses them all
    [['-w', 'packages', '--workspace=./packages/b'], everyWorkspace],
    [['--no-workspaces'], ['node_modules/leaf']],
  ])('ci %j installs what npm does', async (args, expected) => {
    const project = caseProject('workspaces')
    writeFileSync(join(project.dir, 'package-lock.json'), npmLockfile('workspaces'))
    const ci = await run(project, ['ci', ...args])
    expect(ci.stderr).toBe('')
    expect(ci.code).toBe(0)
    expect(installed(project.dir)).toEqual(expected)
    const keys = hiddenKeys(project.dir)
    expect(keys.filter((key) => key.includes('node_modules/'))).toEqual(
      expected.map((line) => line.split(' ')[0]),
    )
    // the workspaces' folders of the links made, and only those
    const folders = keys.filter((key) => !key.includes('node_modules/'))
    expect(folders).toEqual(
      expected.filter((line) => line.includes(' -> ')).map((line) => line.split(' -> ../')[1]),
    )
  })

  it('ci run in a workspace’s folder installs that workspace, as npm’s implicit -w', async () => {
    const project = caseProject('workspaces')
    writeFileSync(join(project.dir, 'package-lock.json'), npmLockfile('workspaces'))
    const ci = await tote(['ci'], {
      ...project,
      cwd: join(project.dir, 'packages/c'),
      registry: registry.url,
    })
    expect(ci.stderr).toBe('')
    expect(ci.code).toBe(0)
    expect(installed(project.dir)).toEqual([
      'node_modules/c -> ../packages/c',
      'node_modules/shared',
      'packages/c/node_modules/leaf',
    ])
  })

  it('a filter that names no workspace is ENOWORKSPACE, listing them', async () => {
    const project = caseProject('workspaces')
    writeFileSync(join(project.dir, 'package-lock.json'), npmLockfile('workspaces'))
    const ci = await run(project, ['ci', '-w', 'nope'])
    expect(ci.code).toBe(1)
    expect(ci.stderr).toContain('ENOWORKSPACE')
    expect(ci.stderr).toContain('No workspaces found: --workspace=nope')
    expect(ci.stderr).toContain("The project's workspaces are: a, b, c.")
  })

  it('workspace: specs install as links to the workspace; ci accepts the lockfile', async () => {
    const project = scratch()
    const files: ProjectFiles = {
      'project/package.json': { name: 'ws', workspaces: ['libs/*'], dependencies: { lib: 'workspace:*' } },
      'project/libs/lib/package.json': { name: 'lib', version: '1.2.0', bin: { lib: 'cli.js' } },
      'project/libs/app/package.json': {
        name: 'app',
        version: '1.0.0',
        dependencies: { lib: 'workspace:^', shared: '^2.0.0' },
      },
    }
    writeFiles(dirname(project.dir), files)
    writeFileSync(join(project.dir, 'libs/lib/cli.js'), '#!/usr/bin/env node\n')
    const first = await run(project, ['install'])
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(installed(project.dir)).toEqual([
      'node_modules/app -> ../libs/app',
      'node_modules/lib -> ../libs/lib',
      'node_modules/shared',
    ])
    expect(readlinkSync(join(project.dir, 'node_modules/.bin/lib'))).toBe('../lib/cli.js')
    const ci = await run(project, ['ci'])
    expect(ci.stderr).toBe('')
    expect(ci.code).toBe(0)
  })
})

describe('file: folders', () => {
  it('install writes npm’s lockfile, links both folders, installs the inside one’s dependencies only', async () => {
    const project = caseProject('file-folders')
    const result = await run(project, ['install'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(readFileSync(join(project.dir, 'package-lock.json'), 'utf8')).toBe(npmLockfile('file-folders'))
    expect(installed(project.dir)).toEqual([
      'local/loc/node_modules/shared',
      'node_modules/ext -> ../../ext',
      'node_modules/loc -> ../local/loc',
      'node_modules/shared',
      'node_modules/tool',
    ])
    expect(versionSeenFrom(join(project.dir, 'local/loc'), 'shared')).toBe('2.0.0')
    // the folder outside the project is not written to
    expect(readdirSync(join(project.dir, '../ext'))).toEqual(['package.json'])
    const ci = await run(project, ['ci'])
    expect(ci.code).toBe(0)
    expect(readdirSync(join(project.dir, '../ext'))).toEqual(['package.json'])
  })
})

describe('tarballs', () => {
  it('install writes npm’s lockfile for a file: tarball and a tarball URL, and installs both', async () => {
    const project = caseProject('tarballs')
    const result = await run(project, ['install'])
    expect(result.code).toBe(0)
    expect(readFileSync(join(project.dir, 'package-lock.json'), 'utf8')).toBe(npmLockfile('tarballs'))
    expect(installed(project.dir)).toEqual([
      'node_modules/leaf',
      'node_modules/rem',
      'node_modules/shared',
      'node_modules/tb',
    ])
    expect(JSON.parse(readFileSync(join(project.dir, 'node_modules/rem/package.json'), 'utf8')).name).toBe(
      'uses-shared1',
    )
    expect(readlinkSync(join(project.dir, 'node_modules/.bin/tb'))).toBe('../tb/cli.js')
    // its install script did not run, and says so
    expect(result.stderr).toContain('tb@1.0.0')
  })

  it('ci installs them from npm’s lockfile without asking the registry for any document', async () => {
    const project = caseProject('tarballs')
    writeFileSync(join(project.dir, 'package-lock.json'), npmLockfile('tarballs'))
    const before = registry.requests.length
    const ci = await run(project, ['ci'])
    expect(ci.code).toBe(0)
    expect(installed(project.dir)).toEqual([
      'node_modules/leaf',
      'node_modules/rem',
      'node_modules/shared',
      'node_modules/tb',
    ])
    // tarballs only (the URL's among them), no packument nor version document
    const paths = registry.requests.slice(before).map((request) => request.path)
    expect(paths.every((path) => path.endsWith('.tgz'))).toBe(true)
    expect(paths).toContain('/uses-shared1/-/uses-shared1-1.0.0.tgz')
  })

  it('ci checks a tarball on disk against the lockfile’s integrity, and names a missing one', async () => {
    const project = caseProject('tarballs')
    writeFileSync(join(project.dir, 'package-lock.json'), npmLockfile('tarballs'))
    writeFiles(dirname(project.dir), {
      'project/vendor/tb-1.0.0.tgz': {
        $tarball: { 'package/package.json': '{"name":"tb","version":"1.0.0"}' },
      },
    })
    const changed = await run(project, ['ci'])
    expect(changed.code).toBe(1)
    expect(changed.stderr).toContain('tote error EINTEGRITY: Integrity check failed for tb@1.0.0')
    expect(existsSync(join(project.dir, 'node_modules/tb'))).toBe(false)
    rmSync(join(project.dir, 'vendor'), { recursive: true })
    const missing = await run(project, ['ci'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('tote error ENOENT: Cannot read the tarball of tb@1.0.0')
    expect(missing.stderr).toContain('vendor/tb-1.0.0.tgz')
  })
})

describe('bundled dependencies', () => {
  const tree = [
    'node_modules/bundler',
    'node_modules/bundler/node_modules/deep',
    'node_modules/bundler/node_modules/inner',
    'node_modules/inner',
    'node_modules/shared',
  ]

  it('install takes them from the bundler’s tarball and writes npm’s lockfile (inBundle)', async () => {
    const project = caseProject('bundled')
    const before = registry.requests.length
    const result = await run(project, ['install'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(readFileSync(join(project.dir, 'package-lock.json'), 'utf8')).toBe(npmLockfile('bundled'))
    expect(installed(project.dir)).toEqual(tree)
    expect(versionSeenFrom(join(project.dir, 'node_modules/bundler'), 'inner')).toBe('1.5.0')
    expect(readlinkSync(join(project.dir, 'node_modules/bundler/node_modules/.bin/inner'))).toBe(
      '../inner/bin.js',
    )
    // nothing of the bundle is asked of the registry
    const paths = registry.requests.slice(before).map((request) => request.path)
    expect(paths.filter((path) => path.includes('deep') || path.includes('inner-1'))).toEqual([])
  })

  it('ci installs npm’s lockfile with inBundle entries, fetching only the bundler’s tarball for them', async () => {
    const project = caseProject('bundled')
    writeFileSync(join(project.dir, 'package-lock.json'), npmLockfile('bundled'))
    const before = registry.requests.length
    const ci = await run(project, ['ci'])
    expect(ci.stderr).toBe('')
    expect(ci.code).toBe(0)
    expect(installed(project.dir)).toEqual(tree)
    expect(hiddenKeys(project.dir)).toEqual(
      Object.keys(parseLockfile(npmLockfile('bundled')).packages).filter((key) => key !== ''),
    )
    const paths = registry.requests.slice(before).map((request) => request.path)
    expect(paths.every((path) => path.endsWith('.tgz'))).toBe(true)
    expect(paths.filter((path) => path.includes('deep') || path.includes('inner-1'))).toEqual([])
    // installed again, nothing changes
    const again = await run(project, ['install'])
    expect(again.stdout).toMatch(/^up to date in /m)
  })

  it('what a bundled package needs and its bundler does not ship stays missing, as npm leaves it', async () => {
    const project = caseProject('bundled-needs')
    const result = await run(project, ['install'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(readFileSync(join(project.dir, 'package-lock.json'), 'utf8')).toBe(npmLockfile('bundled-needs'))
    // npm 11.19.1's install puts these three there too (neither leaf nor shared@2 is fetched)
    expect(installed(project.dir)).toEqual([
      'node_modules/bundler-needs',
      'node_modules/bundler-needs/node_modules/inner',
      'node_modules/shared',
    ])
    expect(versionSeenFrom(join(project.dir, 'node_modules/bundler-needs'), 'inner')).toBe('1.2.0')
    const again = await run(project, ['ci'])
    expect(again.code).toBe(0)
    expect(installed(project.dir)).toHaveLength(3)
  })

  it('the project’s own bundled dependencies are installed from the registry (npm marks them inBundle too)', async () => {
    const project = caseProject('project-bundle')
    const result = await run(project, ['install'])
    expect(result.code).toBe(0)
    expect(readFileSync(join(project.dir, 'package-lock.json'), 'utf8')).toBe(npmLockfile('project-bundle'))
    const ci = await run(project, ['ci'])
    expect(ci.code).toBe(0)
    expect(installed(project.dir)).toEqual(['node_modules/shared', 'node_modules/uses-shared1'])
  })
})

describe('links and folders stay inside the project', () => {
  it.each([
    ['/etc', 'is not a folder of the project or beside it'],
    ['packages/nowhere', 'leads to packages/nowhere, which has no entry of its own'],
  ])('a link to %s is ELOCKFILE, before anything is written', async (resolved, why) => {
    const project = caseProject('workspaces')
    const lockfile = JSON.parse(npmLockfile('workspaces'))
    // a link the project's check of its own dependencies does not see: a package's dependency
    lockfile.packages['node_modules/leaf'].dependencies = { zzz: '*' }
    lockfile.packages['node_modules/zzz'] = { resolved, link: true }
    writeFileSync(join(project.dir, 'package-lock.json'), JSON.stringify(lockfile, null, 2))
    const ci = await run(project, ['ci'])
    expect(ci.code).toBe(1)
    expect(ci.stderr).toContain('ELOCKFILE')
    expect(ci.stderr).toContain(
      `the link node_modules/zzz ${why.startsWith('is') ? 'leads to "/etc", which ' : ''}${why}`,
    )
    expect(existsSync(join(project.dir, 'node_modules'))).toBe(false)
  })

  it('nothing is placed under a link (it would land in the linked folder)', async () => {
    const project = caseProject('workspaces')
    const lockfile = JSON.parse(npmLockfile('workspaces'))
    lockfile.packages['node_modules/a/node_modules/evil'] = lockfile.packages['node_modules/leaf']
    lockfile.packages[''].dependencies = { a: '*' }
    writeFileSync(join(project.dir, 'package-lock.json'), JSON.stringify(lockfile, null, 2))
    writeFileSync(
      join(project.dir, 'package.json'),
      JSON.stringify({
        ...JSON.parse(readFileSync(join(project.dir, 'package.json'), 'utf8')),
        dependencies: { a: '*' },
      }),
    )
    const ci = await run(project, ['ci'])
    expect(ci.code).toBe(0)
    expect(existsSync(join(project.dir, 'packages/a/node_modules/evil'))).toBe(false)
  })

  it('a workspace that is a symlink to a folder outside the project is EOUTSIDEPROJECT, nothing written there', async () => {
    const project = scratch()
    const outside = join(dirname(project.dir), 'outside')
    writeFiles(dirname(project.dir), {
      'project/package.json': { name: 'm', workspaces: ['packages/*'], dependencies: { shared: '^1.0.0' } },
      'outside/package.json': { name: 'out', version: '1.0.0', dependencies: { shared: '^2.0.0' } },
    })
    mkdirSync(join(project.dir, 'packages'))
    symlinkSync(outside, join(project.dir, 'packages/out'))
    const result = await run(project, ['install'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('EOUTSIDEPROJECT')
    expect(result.stderr).toContain('packages/out')
    expect(readdirSync(outside)).toEqual(['package.json'])
    expect(lstatSync(join(project.dir, 'packages/out')).isSymbolicLink()).toBe(true)
    rmSync(outside, { recursive: true })
  })
})
