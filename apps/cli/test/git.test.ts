import { execFileSync } from 'node:child_process'
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { packList } from '../src/_git.js'
import { type GitServer, startGitServer } from './_git-server.js'
import { scratch, tote } from './_tote.js'

// Git dependencies against a loopback git server (smart HTTP through `git http-backend`), hosted
// shorthands mapped onto it with git's url.<base>.insteadOf in the run's HOME.

let registry: TestRegistry
let server: GitServer
/** The repository's folder (for git+file:) and its commits, by version. */
let repo: string
const commits: Record<string, string> = {}
let prepCommit: string

function git(args: string[], cwd: string): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  }).trim()
}

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: {
      // a devDependency of the repository with a prepare: installed in its checkout only
      helper: { versions: { '1.0.0': { files: { 'index.js': "module.exports = 'helped'\n" } } } },
    },
  })
  const root = mkdtempSync(join(tmpdir(), 'tote-git-'))
  const work = join(root, 'work')
  git(['init', '-q', '-b', 'main', work], root)
  // 1.0.0 (tag v1.0.0), 1.1.0 (tag v1.1.0), 2.0.0 (main, untagged)
  for (const version of ['1.0.0', '1.1.0', '2.0.0']) {
    writeFileSync(
      join(work, 'package.json'),
      `${JSON.stringify({ name: 'gdep', version, license: 'MIT', bin: { gdep: 'cli.js' }, files: ['index.js', 'cli.js'] })}\n`,
    )
    writeFileSync(join(work, 'index.js'), `module.exports = '${version}'\n`)
    writeFileSync(join(work, 'cli.js'), '#!/usr/bin/env node\n', { mode: 0o755 })
    writeFileSync(join(work, 'notes.txt'), 'not in "files": npm does not pack it\n')
    git(['add', '-A'], work)
    git(['-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-q', '-m', version], work)
    commits[version] = git(['rev-parse', 'HEAD'], work)
    if (version !== '2.0.0') git(['tag', `v${version}`], work)
  }
  repo = join(root, 'srv', 'owner', 'gdep.git')
  git(['clone', '-q', '--bare', work, repo], root)
  // gprep: built by its prepare (with its devDependency) into dist/, which git ignores
  const prep = join(root, 'prep')
  git(['init', '-q', '-b', 'main', prep], root)
  writeFileSync(
    join(prep, 'package.json'),
    `${JSON.stringify({ name: 'gprep', version: '1.0.0', main: 'dist/index.js', files: ['dist'], scripts: { prepare: 'node build.js' }, devDependencies: { helper: '^1.0.0' } })}\n`,
  )
  writeFileSync(
    join(prep, 'build.js'),
    [
      "const fs = require('fs')",
      "fs.mkdirSync('dist', { recursive: true })",
      "fs.writeFileSync('dist/index.js', 'module.exports = ' + JSON.stringify(require('helper')) + '\\n')",
      '',
    ].join('\n'),
  )
  writeFileSync(join(prep, '.gitignore'), 'dist/\nnode_modules/\n')
  git(['add', '-A'], prep)
  git(['-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-q', '-m', 'gprep'], prep)
  prepCommit = git(['rev-parse', 'HEAD'], prep)
  git(['clone', '-q', '--bare', prep, join(root, 'srv', 'owner', 'gprep.git')], root)
  server = await startGitServer(join(root, 'srv'))
})

afterAll(async () => {
  await Promise.all([registry.close(), server.close()])
})

/** A project whose HOME maps GitHub's https and ssh URLs onto the loopback server. */
function project(dependencies: Record<string, string>) {
  const project = scratch({ name: 'p', version: '1.0.0', dependencies })
  writeFileSync(
    join(project.home, '.gitconfig'),
    `[url "${server.url}"]\n\tinsteadOf = https://github.com/\n\tinsteadOf = ssh://git@github.com/\n`,
  )
  return project
}

function run(where: ReturnType<typeof scratch>, args: string[]) {
  return tote(args, { ...where, cwd: where.dir, registry: registry.url })
}

/**
 * npm 11.19.1's entry for a git dependency, as `npm install --package-lock-only` wrote it for this
 * repository (a hosted one through the same insteadOf mapping): its package.json's name when the
 * key differs, version, `resolved` the repository and commit (a GitHub repository by its ssh URL,
 * whatever the spec said), no integrity.
 */
function npmEntry(resolved: string, version: string) {
  return { name: 'gdep', version, resolved, license: 'MIT', bin: { gdep: 'cli.js' } }
}

describe('git dependencies', () => {
  it('install pins each spec kind to a commit as npm does and installs what npm packs', async () => {
    const specs = {
      a: `git+${server.url}owner/gdep.git#semver:^1.0.0`,
      b: 'github:owner/gdep#v1.0.0',
      c: 'owner/gdep',
    }
    const where = project(specs)
    const result = await run(where, ['install'])
    expect(result.stderr).not.toMatch(/error/)
    expect(result.code).toBe(0)
    // npm's bytes (recorded with npm 11.19.1 against the same repository)
    const expected = {
      name: 'p',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'p', version: '1.0.0', dependencies: specs },
        'node_modules/a': npmEntry(`git+${server.url}owner/gdep.git#${commits['1.1.0']}`, '1.1.0'),
        'node_modules/b': npmEntry(`git+ssh://git@github.com/owner/gdep.git#${commits['1.0.0']}`, '1.0.0'),
        'node_modules/c': npmEntry(`git+ssh://git@github.com/owner/gdep.git#${commits['2.0.0']}`, '2.0.0'),
      },
    }
    expect(readFileSync(join(where.dir, 'package-lock.json'), 'utf8')).toBe(
      `${JSON.stringify(expected, null, 2)}\n`,
    )
    for (const [name, version] of [
      ['a', '1.1.0'],
      ['b', '1.0.0'],
      ['c', '2.0.0'],
    ] as const) {
      const folder = join(where.dir, 'node_modules', name)
      // npm's pack: package.json and what "files" lists; notes.txt stays out
      expect(readdirSync(folder).sort()).toEqual(['cli.js', 'index.js', 'package.json'])
      expect(readFileSync(join(folder, 'index.js'), 'utf8')).toBe(`module.exports = '${version}'\n`)
      expect(lstatSync(join(folder, 'cli.js')).mode & 0o111).not.toBe(0)
    }
    // nothing asked of the registry
    expect(registry.requests).toEqual([])
    // installed again: the lockfile serves every spec, no git server request
    const before = server.requests.length
    const again = await run(where, ['install'])
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/^up to date in /m)
    expect(server.requests.length).toBe(before)
  })

  it('ci installs npm’s lockfile with a git+file: entry (cloned into tote’s cache, packed from the commit)', async () => {
    const spec = `git+file://${repo}#v1.0.0`
    const where = project({ gdep: spec })
    const lockfile = {
      name: 'p',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'p', version: '1.0.0', dependencies: { gdep: spec } },
        'node_modules/gdep': {
          version: '1.0.0',
          resolved: `git+file://${repo}#${commits['1.0.0']}`,
          license: 'MIT',
          bin: { gdep: 'cli.js' },
        },
      },
    }
    const text = `${JSON.stringify(lockfile, null, 2)}\n`
    writeFileSync(join(where.dir, 'package-lock.json'), text)
    const ci = await run(where, ['ci'])
    expect(ci.stderr).toBe('')
    expect(ci.code).toBe(0)
    expect(readFileSync(join(where.dir, 'node_modules/gdep/index.js'), 'utf8')).toBe(
      "module.exports = '1.0.0'\n",
    )
    expect(existsSync(join(where.dir, 'node_modules/gdep/notes.txt'))).toBe(false)
    expect(lstatSync(join(where.dir, 'node_modules/.bin/gdep')).isSymbolicLink()).toBe(true)
    expect(readdirSync(join(where.cache, 'git'))).toHaveLength(1)
    // install from it resolves nothing again and writes npm's bytes back
    const install = await run(where, ['install'])
    expect(install.code).toBe(0)
    expect(readFileSync(join(where.dir, 'package-lock.json'), 'utf8')).toBe(text)
  })

  it('a ref the repository lacks is ETARGET naming it; a repository git cannot reach is EGIT; nothing written', async () => {
    const missing = project({ gdep: `git+${server.url}owner/gdep.git#no-such-branch` })
    const result = await run(missing, ['install'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/ETARGET/)
    expect(result.stderr).toMatch(/no-such-branch/)
    expect(existsSync(join(missing.dir, 'package-lock.json'))).toBe(false)
    expect(existsSync(join(missing.dir, 'node_modules'))).toBe(false)

    const unreachable = project({ gdep: `git+${server.url}owner/nowhere.git` })
    const failed = await run(unreachable, ['install'])
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/EGIT/)
    expect(existsSync(join(unreachable.dir, 'package-lock.json'))).toBe(false)
  })

  it('allow-git as npm: none refuses a git dependency (install and ci, before anything is written); root allows the project’s own', async () => {
    const spec = `git+file://${repo}#v1.0.0`
    const where = project({ gdep: spec })
    const refused = await run(where, ['install', '--allow-git=none'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('EALLOWGIT')
    expect(refused.stderr).toContain('Fetching packages of type "git" have been disabled')
    expect(existsSync(join(where.dir, 'package-lock.json'))).toBe(false)

    const root = await run(where, ['install', '--allow-git=root'])
    expect(root.code).toBe(0)
    expect(readFileSync(join(where.dir, 'node_modules/gdep/index.js'), 'utf8')).toBe(
      "module.exports = '1.0.0'\n",
    )

    const ci = await run(where, ['ci', '--allow-git=none'])
    expect(ci.code).toBe(1)
    expect(ci.stderr).toContain('EALLOWGIT')
    // checked before node_modules is emptied
    expect(existsSync(join(where.dir, 'node_modules/gdep/index.js'))).toBe(true)
    expect((await run(where, ['ci', '--allow-git=root'])).code).toBe(0)
  })
})

describe('git dependencies with a prepare, under allowScripts', () => {
  it('a trusted one is prepared as npm prepares it: its dependencies installed in a checkout, prepare run, the result packed', async () => {
    const where = project({ gprep: 'github:owner/gprep' })
    const manifestPath = join(where.dir, 'package.json')
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
    writeFileSync(
      manifestPath,
      `${JSON.stringify({ ...manifest, allowScripts: { 'github:owner/gprep': true } }, null, 2)}\n`,
    )
    const result = await run(where, ['install'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const folder = join(where.dir, 'node_modules/gprep')
    // built by prepare with its devDependency; packed by "files" (build.js stays out)
    expect(readFileSync(join(folder, 'dist/index.js'), 'utf8')).toBe('module.exports = "helped"\n')
    expect(readdirSync(folder).sort()).toEqual(['dist', 'package.json'])
    // the devDependency was the checkout's, not the project's
    expect(existsSync(join(where.dir, 'node_modules/helper'))).toBe(false)
    expect(
      JSON.parse(readFileSync(join(where.dir, 'package-lock.json'), 'utf8')).packages['node_modules/gprep'],
    ).toEqual({
      version: '1.0.0',
      resolved: `git+ssh://git@github.com/owner/gprep.git#${prepCommit}`,
    })
    // the checkout is gone from the cache; only the mirror stays
    expect(readdirSync(join(where.cache, 'git')).filter((name) => name.startsWith('prepare-'))).toEqual([])
  })

  it('an untrusted one is installed as committed, named in the summary with the approving command; once approved, ci prepares it', async () => {
    const where = project({ gprep: 'github:owner/gprep' })
    const result = await run(where, ['install'])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('1 package has install scripts that did not run')
    expect(result.stderr).toContain('gprep@1.0.0 (prepare: node build.js)')
    expect(result.stderr).toContain('tote install-scripts approve gprep')
    const folder = join(where.dir, 'node_modules/gprep')
    expect(existsSync(join(folder, 'package.json'))).toBe(true)
    expect(existsSync(join(folder, 'dist'))).toBe(false)

    // approving writes npm's key for a hosted git dependency: its shortcut and commit
    const approve = await run(where, ['install-scripts', 'approve', 'gprep'])
    expect(approve.code).toBe(0)
    expect(JSON.parse(readFileSync(join(where.dir, 'package.json'), 'utf8')).allowScripts).toEqual({
      [`github:owner/gprep#${prepCommit}`]: true,
    })
    const ci = await run(where, ['ci'])
    expect(ci.stderr).toBe('')
    expect(ci.code).toBe(0)
    expect(readFileSync(join(folder, 'dist/index.js'), 'utf8')).toBe('module.exports = "helped"\n')
  })
})

describe('git dependencies approved after an install', () => {
  it('a plain install notices the approval and places it again, prepared, as ci would; the next install keeps it', async () => {
    const where = project({ gprep: 'github:owner/gprep' })
    const first = await run(where, ['install'])
    expect(first.code).toBe(0)
    expect(first.stderr).toContain('tote install-scripts approve gprep')
    const folder = join(where.dir, 'node_modules/gprep')
    expect(existsSync(join(folder, 'dist'))).toBe(false)
    const lockBefore = readFileSync(join(where.dir, 'package-lock.json'), 'utf8')

    const approve = await run(where, ['install-scripts', 'approve', 'gprep'])
    expect(approve.code).toBe(0)
    const again = await run(where, ['install'])
    expect(again.stderr).toBe('')
    expect(again.code).toBe(0)
    // packed prepared: built by prepare, packed by "files"
    expect(readFileSync(join(folder, 'dist/index.js'), 'utf8')).toBe('module.exports = "helped"\n')
    expect(readdirSync(folder).sort()).toEqual(['dist', 'package.json'])
    expect(readFileSync(join(where.dir, 'package-lock.json'), 'utf8')).toBe(lockBefore)
    // nothing pending any more: the next install leaves it as it is
    expect(existsSync(join(where.dir, 'node_modules/.tote-scripts.json'))).toBe(false)
    const third = await run(where, ['install'])
    expect(third.code).toBe(0)
    expect(third.stdout).toMatch(/^up to date/)
    expect(readdirSync(folder).sort()).toEqual(['dist', 'package.json'])
  })
})

describe('packList', () => {
  // A folder packed with npm 11.19.1's `npm pack --dry-run --json`, both ways; what it listed.
  const paths = [
    '.gitignore',
    '.npmrc',
    'CHANGELOG.md',
    'LICENSE',
    'README.md',
    'a.orig',
    'lib/main.js',
    'lib/x.log',
    'node_modules/x/i.js',
    'package-lock.json',
    'package.json',
    'secret/s.txt',
    'tools/b.js',
    'x.log',
  ]
  const manifest = { name: 'pk', version: '1.0.0', main: 'lib/main.js', bin: { b: 'tools/b.js' } }
  const gitignore = '*.log\nsecret/\n'

  it('without files: all but .gitignore’s patterns and what npm never packs', () => {
    expect(packList(paths, manifest, gitignore).sort()).toEqual([
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'lib/main.js',
      'package.json',
      'tools/b.js',
    ])
  })

  it('with files: what it names (the top ignore file no longer applies), README, LICENSE, main and bins', () => {
    expect(packList(paths, { ...manifest, files: ['lib', '*.md'] }, gitignore).sort()).toEqual([
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'lib/main.js',
      'lib/x.log',
      'package.json',
      'tools/b.js',
    ])
  })
})
