import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GitServer, startGitServer } from './_git-server.js'
import { tote } from './_tote.js'
import { ADD_SPECS_PACKAGES, makeGitRepository, writeProject } from './oracle/add-specs-fixture.mjs'

// npm as the oracle of `add` with every spec kind tote installs: oracle/npm-add-specs.json holds the
// bytes of package.json and package-lock.json npm 11.19.1 left after each step of each case of
// oracle/add-specs-cases.json (a folder, a tarball on disk, a tarball URL, git repositories by URL
// and by hosted shorthand, with and without a name, with -D, -E, --save-prefix; then uninstall),
// against @tote/test-registry and a loopback git server, the hosted shorthands mapped onto it with
// git's url.<base>.insteadOf (re-derived by oracle/derive-add-specs.mjs). tote runs the same steps
// with the same arguments, and must leave the same bytes, and fail where npm fails.

interface Recorded {
  exit: number
  packageJson: string | null
  lockfile: string | null
}
const here = new URL('./oracle/', import.meta.url)
const { cases } = JSON.parse(readFileSync(new URL('add-specs-cases.json', here), 'utf8')) as {
  cases: { name: string; steps: string[][] }[]
}
const recorded = JSON.parse(readFileSync(new URL('npm-add-specs.json', here), 'utf8')) as {
  flags: string[]
  results: Record<string, { steps: Recorded[] }>
}

let registry: TestRegistry
let server: GitServer
let commits: Record<string, string>

beforeAll(async () => {
  registry = await createTestRegistry({ packages: ADD_SPECS_PACKAGES })
  const made = makeGitRepository(mkdtempSync(join(tmpdir(), 'tote-add-specs-')))
  commits = made.commits
  server = await startGitServer(made.srv)
})

afterAll(async () => {
  await Promise.all([registry.close(), server.close()])
})

/** The recorded text with this run's registry, git server and commits. */
function filled(text: string): string {
  let result = text.split('{registry}').join(registry.url).split('{git}').join(server.url)
  for (const [version, commit] of Object.entries(commits))
    result = result.split(`{commit:${version}}`).join(commit)
  return result
}

async function project() {
  const base = mkdtempSync(join(tmpdir(), 'tote-add-specs-'))
  const where = await writeProject(base, server.url, registry)
  const options = { cwd: where.dir, home: where.home, cache: join(base, 'cache'), registry: registry.url }
  return { ...where, run: (args: string[]) => tote(args, options) }
}

const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : null)

describe("add with folders, tarballs, URLs and git: package.json and package-lock.json byte for byte as npm's", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const where = await project()
      for (const [index, step] of c.steps.entries()) {
        const npm = recorded.results[c.name]!.steps[index]!
        const run = await where.run([...step.map(filled), ...recorded.flags])
        const what = `${c.name}, step ${index}: ${step.join(' ')}\n${run.stderr}`
        if (npm.exit === 0) expect(run.code, what).toBe(0)
        else {
          // npm's EUNSUPPORTEDPROTOCOL: tote's stable code, and nothing written
          expect(run.code, what).not.toBe(0)
          expect(run.stderr, what).toContain('tote error EUNSUPPORTEDSPEC')
        }
        expect(read(join(where.dir, 'package.json')), what).toBe(npm.packageJson && filled(npm.packageJson))
        expect(read(join(where.dir, 'package-lock.json')), what).toBe(npm.lockfile && filled(npm.lockfile))
      }
    })
  }
})

describe('add with folders, tarballs, URLs and git: the tree', () => {
  it('a folder is linked, a tarball and a git repository unpacked; remove takes each out again', async () => {
    const where = await project()
    const added = await where.run([
      'add',
      '../lib',
      './tb-1.0.0.tgz',
      `git+${server.url}owner/gdep.git#v1.1.0`,
      // a hosted shorthand under another name: cloned through the insteadOf mapping, not downloaded
      'hosted@owner/gdep#v1.0.0',
    ])
    expect(added.stderr).toBe('')
    expect(added.code).toBe(0)
    expect(added.stdout).toContain('added lib@1.2.3 to dependencies ("file:../lib")')
    expect(added.stdout).toContain('added tb@1.0.0 to dependencies ("file:tb-1.0.0.tgz")')
    expect(added.stdout).toContain(
      `added gdep@1.1.0 to dependencies ("git+${server.url}owner/gdep.git#v1.1.0")`,
    )
    const modules = join(where.dir, 'node_modules')
    expect(lstatSync(join(modules, 'lib')).isSymbolicLink()).toBe(true)
    expect(readlinkSync(join(modules, 'lib'))).toBe(join('..', '..', 'lib'))
    expect(readFileSync(join(modules, 'tb/index.js'), 'utf8')).toBe('module.exports = "tb"\n')
    expect(readFileSync(join(modules, 'gdep/index.js'), 'utf8')).toBe("module.exports = '1.1.0'\n")
    expect(added.stdout).toContain('added hosted (gdep@1.0.0) to dependencies ("github:owner/gdep#v1.0.0")')
    expect(readFileSync(join(modules, 'hosted/index.js'), 'utf8')).toBe("module.exports = '1.0.0'\n")

    const removed = await where.run(['remove', 'lib', 'tb', 'gdep', 'hosted'])
    expect(removed.code).toBe(0)
    expect(removed.stdout).toContain('removed hosted from dependencies')
    for (const name of ['lib', 'tb', 'gdep', 'hosted']) expect(existsSync(join(modules, name))).toBe(false)
    expect(JSON.parse(readFileSync(join(where.dir, 'package.json'), 'utf8'))).toEqual({
      name: 'p',
      version: '1.0.0',
    })
  })

  it('a spec tote cannot serve is EUNSUPPORTEDSPEC with a hint, and nothing is written', async () => {
    const where = await project()
    for (const spec of [
      'gist:abc123',
      'link:../lib',
      'lib@workspace:*',
      'x@npm:y@npm:z',
      'svn://host/repo',
    ]) {
      const run = await where.run(['add', spec])
      expect(run.code, spec).toBe(1)
      expect(run.stderr, spec).toMatch(/tote error EUNSUPPORTEDSPEC: .* spec: /)
      expect(run.stderr, spec).toContain('hint:')
      expect(read(join(where.dir, 'package.json'))).toBe(
        `${JSON.stringify({ name: 'p', version: '1.0.0' }, null, 2)}\n`,
      )
      expect(existsSync(join(where.dir, 'package-lock.json'))).toBe(false)
      expect(existsSync(join(where.dir, 'node_modules'))).toBe(false)
    }
  })
})
