import { fileURLToPath } from 'node:url'
import type { ProjectManifest } from '@tote/types'
import { describe, expect, it } from 'vitest'
import { isLockfileInSync, parseLockfile, readWorkspaces, stringifyLockfile } from '../src/index.js'
import { FIXTURES, fixtureManifest, fixtureText } from './_fixtures.js'

const vite = () => parseLockfile(fixtureText('vite-react-ts'))
const features = () => parseLockfile(fixtureText('features'))

describe('isLockfileInSync', () => {
  it.each(FIXTURES)('accepts the lockfile npm wrote for %s', (name) => {
    expect(isLockfileInSync(parseLockfile(fixtureText(name)), fixtureManifest(name))).toEqual({
      inSync: true,
      reasons: [],
    })
  })

  it('explains a range that changed in package.json, once', () => {
    const manifest = fixtureManifest('vite-react-ts')
    manifest.dependencies = { ...manifest.dependencies, react: '^18.2.0' }
    expect(isLockfileInSync(vite(), manifest)).toEqual({
      inSync: false,
      reasons: ['package.json wants react ^18.2.0 in dependencies but the lockfile was made for ^19.2.8'],
    })
  })

  it('explains added and removed dependencies', () => {
    const manifest = fixtureManifest('vite-react-ts')
    const { oxlint: _removed, ...devDependencies } = manifest.devDependencies ?? {}
    manifest.devDependencies = { ...devDependencies, 'left-pad': '^1.3.0' }
    expect(isLockfileInSync(vite(), manifest).reasons).toEqual([
      'package.json has left-pad ^1.3.0 in devDependencies but the lockfile does not',
      'the lockfile has oxlint ^1.78.0 in devDependencies but package.json does not',
    ])
  })

  it('checks the version of an entry even when the root entry agrees', () => {
    const lockfile = vite()
    lockfile.packages['node_modules/vite']!.version = '7.1.0'
    expect(isLockfileInSync(lockfile, fixtureManifest('vite-react-ts')).reasons).toEqual([
      'package.json wants vite ^8.2.1 but the lockfile has 7.1.0',
    ])
  })

  it('checks an npm: alias against the aliased name and range', () => {
    const manifest = fixtureManifest('features')
    const wrongRange = features()
    wrongRange.packages['node_modules/x']!.version = '6.0.0'
    expect(isLockfileInSync(wrongRange, manifest).reasons).toEqual([
      'package.json wants x npm:is-number@7 but the lockfile has 6.0.0',
    ])
    const wrongName = features()
    wrongName.packages['node_modules/x']!.name = 'is-odd'
    expect(isLockfileInSync(wrongName, manifest).reasons).toEqual([
      "package.json wants x as an alias of is-number but the lockfile's node_modules/x is is-odd",
    ])
  })

  it('notices an alias that became a plain dependency', () => {
    const manifest = fixtureManifest('features')
    manifest.dependencies = { ...manifest.dependencies, x: '^7.0.0' }
    const root = features().packages['']!
    const lockfile = features()
    lockfile.packages['']!.dependencies = { ...root.dependencies, x: '^7.0.0' }
    expect(isLockfileInSync(lockfile, manifest).reasons).toEqual([
      "package.json wants x ^7.0.0 but the lockfile's node_modules/x is is-number",
    ])
  })

  it('lets optional dependencies and optional peers be missing, not required ones', () => {
    const manifest: ProjectManifest = {
      dependencies: { a: '^1.0.0' },
      optionalDependencies: { b: '^1.0.0' },
      peerDependencies: { c: '^1.0.0', d: '^1.0.0' },
      peerDependenciesMeta: { c: { optional: true } },
    }
    const lockfile = parseLockfile(
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          '': {
            dependencies: { a: '^1.0.0' },
            optionalDependencies: { b: '^1.0.0' },
            peerDependencies: { c: '^1.0.0', d: '^1.0.0' },
          },
          'node_modules/a': { version: '1.2.0' },
        },
      }),
    )
    expect(isLockfileInSync(lockfile, manifest).reasons).toEqual([
      'package.json wants d ^1.0.0 but the lockfile has no node_modules/d',
    ])
  })

  it('records an optional dependency that is also a dependency as optional only, like npm', () => {
    // npm wrote this lockfile for a package.json that lists is-number in both sections.
    const manifest = fixtureManifest('tabs-crlf')
    expect(manifest.dependencies).toHaveProperty('is-number')
    expect(manifest.optionalDependencies).toHaveProperty('is-number')
    expect(isLockfileInSync(parseLockfile(fixtureText('tabs-crlf')), manifest).inSync).toBe(true)
  })

  it('checks only the presence of git and dist-tag dependencies, and the folder of a folder’s link', () => {
    const manifest: ProjectManifest = {
      dependencies: {
        local: 'file:../local',
        git: 'github:owner/repo',
        short: 'owner/repo',
        tagged: 'latest',
      },
    }
    const root = { dependencies: { ...manifest.dependencies } }
    const lockfile = parseLockfile(
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          '': root,
          'node_modules/local': { resolved: '../local', link: true },
          'node_modules/git': { version: '1.0.0', resolved: 'git+ssh://git@example.test/owner/repo.git#abc' },
          'node_modules/short': { version: '0.0.1' },
          'node_modules/tagged': { version: '0.0.1' },
        },
      }),
    )
    expect(isLockfileInSync(lockfile, manifest)).toEqual({ inSync: true, reasons: [] })
    const { 'node_modules/tagged': _tagged, ...others } = lockfile.packages
    expect(isLockfileInSync({ ...lockfile, packages: others }, manifest).reasons).toEqual([
      'package.json wants tagged latest but the lockfile has no node_modules/tagged',
    ])
  })

  it('notices a registry range where the lockfile has a link', () => {
    const manifest = fixtureManifest('features')
    manifest.dependencies = { ...manifest.dependencies, 'local-pkg': '^1.0.0' }
    const lockfile = features()
    lockfile.packages['']!.dependencies = { ...lockfile.packages['']!.dependencies, 'local-pkg': '^1.0.0' }
    expect(isLockfileInSync(lockfile, manifest).reasons).toEqual([
      'package.json wants local-pkg ^1.0.0 but the lockfile links node_modules/local-pkg to local-pkg',
    ])
  })

  it('needs a root entry', () => {
    const lockfile = parseLockfile('{"lockfileVersion": 3, "packages": {}}')
    expect(isLockfileInSync(lockfile, {})).toEqual({
      inSync: false,
      reasons: ['the lockfile has no root entry (packages[""])'],
    })
  })
})

describe('isLockfileInSync with workspaces', () => {
  // fixtures/workspaces: three workspaces and the lockfile npm 11.19.1 wrote for them
  // (`npm install --package-lock-only` against the test registry; the resolver's
  // npm-local-cases.json, case "workspaces", first step)
  const dir = fileURLToPath(new URL('fixtures/workspaces', import.meta.url))
  const lockfile = () => parseLockfile(fixtureText('workspaces'))
  const manifest = () => fixtureManifest('workspaces')
  const workspaces = () => readWorkspaces(dir, manifest())

  it('accepts the lockfile npm wrote, and writes it back byte for byte', async () => {
    expect(stringifyLockfile(lockfile())).toBe(fixtureText('workspaces'))
    expect(isLockfileInSync(lockfile(), manifest(), { workspaces: await workspaces() })).toEqual({
      inSync: true,
      reasons: [],
    })
  })

  it('names a workspace whose dependencies changed, and one the lockfile does not link', async () => {
    const found = await workspaces()
    const c = found.find((w) => w.path === 'packages/c')!
    c.manifest = { ...c.manifest, dependencies: { shared: '^1.0.0', leaf: '1.0.0' } }
    const unlinked = lockfile()
    delete unlinked.packages['node_modules/b']
    expect(isLockfileInSync(unlinked, manifest(), { workspaces: found }).reasons).toEqual([
      'packages/a/package.json wants b ^1.0.0 but the lockfile has no node_modules/b for it',
      'the workspace b (packages/b) is not linked at node_modules/b in the lockfile',
      "packages/c/package.json wants shared ^1.0.0 in dependencies but the lockfile's packages/c was made for ^2.0.0",
    ])
  })

  it('checks what each workspace dependency resolves to, through the workspace’s node_modules', async () => {
    const wrong = lockfile()
    wrong.packages['packages/a/node_modules/shared']!.version = '2.0.0'
    expect(isLockfileInSync(wrong, manifest(), { workspaces: await workspaces() }).reasons).toEqual([
      'packages/a/package.json wants shared ^1.0.0 but the lockfile has 2.0.0 at packages/a/node_modules/shared',
    ])
    const missing = lockfile()
    delete missing.packages['packages/c/node_modules/leaf']
    expect(isLockfileInSync(missing, manifest(), { workspaces: await workspaces() }).reasons).toEqual([
      'packages/c/package.json wants leaf 1.0.0 but the lockfile has 1.1.0',
    ])
  })

  it('names workspaces the lockfile lacks, and those it has that the project does not', async () => {
    const found = await workspaces()
    expect(isLockfileInSync(lockfile(), manifest(), { workspaces: found.slice(1) }).reasons).toEqual([
      'the lockfile has the workspace packages/a but the project does not',
    ])
    const extra = { path: 'packages/d', manifest: { name: 'd', version: '1.0.0' } }
    expect(isLockfileInSync(lockfile(), manifest(), { workspaces: [...found, extra] }).reasons).toEqual([
      'packages/d is a workspace but the lockfile has no entry for it',
    ])
  })

  it('takes an extraneous folder entry under the workspace globs for a leftover, not a workspace (npm ci installs it)', async () => {
    // npm/cli 9.2.0's own lockfile has two: workspaces/ws-a and workspaces/ws-b, extraneous, unlinked
    const leftover = lockfile()
    leftover.packages['packages/old'] = { version: '1.0.0', extraneous: true, license: 'ISC' }
    expect(isLockfileInSync(leftover, manifest(), { workspaces: await workspaces() })).toEqual({
      inSync: true,
      reasons: [],
    })
  })

  it('checks file: folders of the root against the link’s folder', () => {
    const linked = parseLockfile(
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          '': { dependencies: { loc: 'file:./local/loc' } },
          'local/loc': { version: '1.0.0' },
          'node_modules/loc': { resolved: 'local/loc', link: true },
        },
      }),
    )
    expect(isLockfileInSync(linked, { dependencies: { loc: 'file:./local/loc' } }).inSync).toBe(true)
    linked.packages['node_modules/loc']!.resolved = 'elsewhere'
    expect(isLockfileInSync(linked, { dependencies: { loc: 'file:./local/loc' } }).reasons).toEqual([
      "package.json wants loc file:./local/loc but the lockfile's node_modules/loc links to elsewhere",
    ])
  })

  it('with installLinks, wants a copy of a file: folder (npm install-links), but the links npm keeps', () => {
    const dependencies = { lib: 'file:vendor/lib', near: 'file:./vendor/near', far: 'link:../far' }
    const lockfile = parseLockfile(
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          '': { dependencies },
          'node_modules/far': { resolved: '../far', link: true },
          'node_modules/lib': { version: '1.0.0', resolved: 'file:vendor/lib' },
          'node_modules/near': { resolved: 'vendor/near', link: true },
          'vendor/near': { version: '1.0.0' },
        },
      }),
    )
    expect(isLockfileInSync(lockfile, { dependencies }, { installLinks: true })).toEqual({
      inSync: true,
      reasons: [],
    })
    // without install-links, npm ci wants the link
    expect(isLockfileInSync(lockfile, { dependencies }).reasons).toEqual([
      "package.json wants lib file:vendor/lib but the lockfile's node_modules/lib is not a link",
    ])
    lockfile.packages['node_modules/lib'] = { resolved: 'vendor/lib', link: true }
    expect(isLockfileInSync(lockfile, { dependencies }, { installLinks: true }).reasons).toEqual([
      "package.json wants lib file:vendor/lib (with install-links, a copy of vendor/lib) but the lockfile's node_modules/lib links to vendor/lib",
    ])
  })
})
