import type { Lockfile } from '@tote/types'
import { describe, expect, it } from 'vitest'
import {
  buildOrder,
  identityFromTarballUrl,
  isScriptAllowed,
  lockfileGraph,
  nameKeyFor,
  type PolicyPackage,
  resolvePolicy,
  verdictFor,
  versionedKeyFor,
} from '../src/index.js'

const registry = 'http://127.0.0.1:4873/'
const pkg = (name: string, version: string, extra: Partial<PolicyPackage> = {}): PolicyPackage => ({
  path: `node_modules/${name}`,
  resolved: `${registry}${name}/-/${name.replace(/^@[^/]+\//, '')}-${version}.tgz`,
  registry: true,
  edgeName: name,
  ...extra,
})

describe('identityFromTarballUrl', () => {
  it('reads the name and version from a registry URL, scoped or not, under a path', () => {
    expect(identityFromTarballUrl(`${registry}a/-/a-1.2.3.tgz`)).toEqual({ name: 'a', version: '1.2.3' })
    expect(identityFromTarballUrl(`${registry}@s/x/-/x-2.0.0-rc.1.tgz`)).toEqual({
      name: '@s/x',
      version: '2.0.0-rc.1',
    })
    expect(identityFromTarballUrl(`${registry}mirror/@s%2fx/-/x-1.0.0.tgz`)).toEqual({
      name: '@s/x',
      version: '1.0.0',
    })
    expect(identityFromTarballUrl('http://127.0.0.1:1/files/a-1.0.0.tgz')).toBeNull()
    expect(identityFromTarballUrl(`${registry}a/-/b-1.0.0.tgz`)).toBeNull()
  })
})

describe('isScriptAllowed (npm 11 script-allowed.js)', () => {
  const a = pkg('a', '1.2.3')
  it('matches names, pins and exact-version disjunctions, by the URL identity', () => {
    expect(isScriptAllowed(a, null)).toBeNull()
    expect(isScriptAllowed(a, { a: true })).toBe(true)
    expect(isScriptAllowed(a, { 'a@*': true })).toBe(true)
    expect(isScriptAllowed(a, { 'a@1.2.3': true })).toBe(true)
    expect(isScriptAllowed(a, { 'a@1.2.4': true })).toBeNull()
    expect(isScriptAllowed(a, { 'a@1.0.0 || 1.2.3': true })).toBe(true)
    expect(isScriptAllowed(a, { 'a@^1.0.0': true })).toBeNull() // ranges never match
    expect(isScriptAllowed(a, { 'a@latest': true })).toBeNull() // nor tags
    expect(isScriptAllowed(a, { b: true })).toBeNull()
  })

  it('lets a deny win over any allow', () => {
    expect(isScriptAllowed(a, { 'a@1.2.3': true, a: false })).toBe(false)
    expect(isScriptAllowed(a, { a: true, 'a@1.2.3': false })).toBe(false)
    expect(isScriptAllowed(a, { a: true, 'a@9.9.9': false })).toBe(true)
  })

  it("never trusts the folder's name: an alias is matched by the package it installs", () => {
    const alias = { ...pkg('real', '1.0.0'), path: 'node_modules/nice' }
    expect(isScriptAllowed(alias, { nice: true })).toBeNull()
    expect(isScriptAllowed(alias, { real: true })).toBe(true)
  })

  it('without a resolved URL: a name still matches, a pin is refused for allow and holds for deny', () => {
    const bare: PolicyPackage = { path: 'node_modules/a', registry: true, edgeName: 'a' }
    expect(isScriptAllowed(bare, { a: true })).toBe(true)
    expect(isScriptAllowed(bare, { 'a@1.2.3': true })).toBeNull()
    expect(isScriptAllowed(bare, { 'a@1.2.3': false })).toBe(false)
  })

  it('matches a tarball URL dependency by its URL only, and never a bundled one', () => {
    const remote: PolicyPackage = {
      path: 'node_modules/t',
      resolved: 'http://127.0.0.1:1/files/t-1.0.0.tgz',
      registry: false,
    }
    expect(isScriptAllowed(remote, { t: true })).toBeNull()
    expect(isScriptAllowed(remote, { 'http://127.0.0.1:1/files/t-1.0.0.tgz': true })).toBe(true)
    // a registry-style key never matches a package some dependent gets from a URL
    expect(isScriptAllowed({ ...a, registry: false }, { a: true })).toBeNull()
    expect(isScriptAllowed({ ...a, inBundle: true }, { a: true })).toBeNull()
  })
})

describe('git dependencies (npm 11 matchGit and the keys approve writes)', () => {
  const sha = '0123456789abcdef0123456789abcdef01234567'
  const hosted: PolicyPackage = {
    path: 'node_modules/g',
    resolved: `git+ssh://git@github.com/owner/g.git#${sha}`,
    registry: false,
  }
  const other: PolicyPackage = {
    path: 'node_modules/h',
    resolved: `git+https://git.example/owner/h.git#${sha}`,
    registry: false,
  }
  it('matches a hosted repository by any of its spellings, with or without a commit prefix', () => {
    for (const key of [
      'github:owner/g',
      'owner/g',
      'git+https://github.com/owner/g.git',
      'git+ssh://git@github.com/owner/g.git',
      `github:owner/g#${sha.slice(0, 7)}`,
      `github:owner/g#${sha}`,
    ]) {
      expect(isScriptAllowed(hosted, { [key]: true }), key).toBe(true)
    }
    expect(isScriptAllowed(hosted, { 'github:owner/other': true })).toBeNull()
    expect(isScriptAllowed(hosted, { 'gitlab:owner/g': true })).toBeNull()
    expect(isScriptAllowed(hosted, { 'github:owner/g#fedcba9': true })).toBeNull()
    // a registry key never matches a git dependency of the same name
    expect(isScriptAllowed(hosted, { g: true })).toBeNull()
    expect(isScriptAllowed(hosted, { 'github:owner/g': true, [`owner/g#${sha}`]: false })).toBe(false)
  })
  it('matches another host by its URL', () => {
    expect(isScriptAllowed(other, { 'git+https://git.example/owner/h.git': true })).toBe(true)
    expect(isScriptAllowed(other, { 'git+https://git.example/owner/x.git': true })).toBeNull()
  })
  it('approve keys: a hosted repository by its shortcut and commit; another has none (as npm)', () => {
    expect(versionedKeyFor(hosted)).toBe(`github:owner/g#${sha}`)
    expect(nameKeyFor(hosted)).toBe('github:owner/g')
    expect(versionedKeyFor(other)).toBeNull()
    expect(nameKeyFor(other)).toBeNull()
  })
})

describe('resolvePolicy (npm 11 resolve-allow-scripts.js)', () => {
  it("takes package.json's allowScripts, dropping ranges and tags with a warning", () => {
    const policy = resolvePolicy({
      manifest: { allowScripts: { a: true, 'b@^1': true, 'c@latest': true, 'd@1.0.0 || 2.0.0': false } },
    })
    expect(policy.source).toBe('package.json')
    expect(policy.entries).toEqual({ a: true, 'd@1.0.0 || 2.0.0': false })
    expect(policy.warnings.map((w) => w.message)).toEqual([
      'package.json: ignoring "b@^1" — semver ranges (^, ~, >=, <) are not allowed; use exact versions joined by "||" instead',
      'package.json: ignoring "c@latest" — dist-tag specs (@latest, @next, ...) are not allowed; use exact versions joined by "||", or the bare package name, instead',
    ])
    expect(policy.unreviewed).toBe('skip')
  })

  it("reads bun's trustedDependencies as name entries, below allowScripts' own", () => {
    const policy = resolvePolicy({
      manifest: { allowScripts: { b: false }, trustedDependencies: ['a', 'b'] },
    })
    expect(policy.entries).toEqual({ b: false, a: true })
    expect(policy.fromTrustedDependencies).toBe(true)
    expect(verdictFor(pkg('a', '1.0.0'), policy)).toBe('run')
    expect(verdictFor(pkg('b', '1.0.0'), policy)).toBe('denied')
    expect(verdictFor(pkg('c', '1.0.0'), policy)).toBe('unreviewed')
  })

  it('uses allow-scripts from an npmrc when package.json has no policy, and says when it is ignored', () => {
    const rc = resolvePolicy({ manifest: {}, allowScripts: { value: 'a, b', layer: 'project' } })
    expect(rc).toMatchObject({ source: '.npmrc', entries: { a: true, b: true } })
    const both = resolvePolicy({
      manifest: { allowScripts: { c: true } },
      allowScripts: { value: 'a', layer: 'user' },
    })
    expect(both).toMatchObject({ source: 'package.json', entries: { c: true } })
    expect(both.warnings[0]?.code).toBe('EALLOWSCRIPTSIGNORED')
  })

  it('refuses --allow-scripts (or npm_config_allow_scripts) in a project, as npm does', () => {
    expect(() => resolvePolicy({ manifest: {}, allowScripts: { value: 'a', layer: 'cli' } })).toThrow(
      expect.objectContaining({ code: 'EALLOWSCRIPTS' }),
    )
    expect(() => resolvePolicy({ manifest: {}, allowScripts: { value: ['a'], layer: 'env' } })).toThrow(
      expect.objectContaining({ code: 'EALLOWSCRIPTS' }),
    )
    const outside = resolvePolicy({
      manifest: {},
      allowScripts: { value: 'a', layer: 'cli' },
      projectScoped: false,
    })
    expect(outside).toMatchObject({ source: 'cli', entries: { a: true } })
  })

  it('lets ignore-scripts, then dangerously-allow-all-scripts, override everything', () => {
    const a = pkg('a', '1.0.0')
    const denied = { manifest: { allowScripts: { a: false } } }
    expect(verdictFor(a, resolvePolicy(denied))).toBe('denied')
    expect(verdictFor(a, resolvePolicy({ ...denied, dangerouslyAllowAllScripts: true }))).toBe('run')
    expect(
      verdictFor(a, resolvePolicy({ ...denied, dangerouslyAllowAllScripts: true, ignoreScripts: true })),
    ).toBe('ignored')
    expect(resolvePolicy({ manifest: {}, strictAllowScripts: true }).unreviewed).toBe('fail')
    expect(resolvePolicy({ manifest: {}, unreviewed: 'run' }).unreviewed).toBe('run')
  })
})

describe('lockfileGraph and buildOrder', () => {
  const lockfile: Lockfile = {
    lockfileVersion: 3,
    packages: {
      '': {
        name: 'app',
        dependencies: { top: '^1.0.0', nice: 'npm:real@1.0.0', url: 'http://127.0.0.1:1/u-1.0.0.tgz' },
      },
      'node_modules/top': {
        version: '1.0.0',
        resolved: `${registry}top/-/top-1.0.0.tgz`,
        dependencies: { mid: '1' },
      },
      'node_modules/mid': {
        version: '1.0.0',
        resolved: `${registry}mid/-/mid-1.0.0.tgz`,
        dependencies: { leaf: '1' },
      },
      'node_modules/leaf': {
        version: '1.0.0',
        resolved: `${registry}leaf/-/leaf-1.0.0.tgz`,
        dependencies: { top: '1' },
      },
      'node_modules/nice': { name: 'real', version: '1.0.0' },
      'node_modules/url': { version: '1.0.0', resolved: 'http://127.0.0.1:1/u-1.0.0.tgz' },
    },
  }

  it('knows which packages come from a registry, and the name an alias stands for', () => {
    const graph = lockfileGraph(lockfile)
    expect(graph.get('node_modules/top')!.policy).toMatchObject({ registry: true, edgeName: 'top' })
    expect(graph.get('node_modules/nice')!.policy).toMatchObject({ registry: true, edgeName: 'real' })
    expect(graph.get('node_modules/url')!.policy.registry).toBe(false)
    expect(graph.get('node_modules/mid')!.dependencies).toEqual(['node_modules/leaf'])
  })

  it("orders a package after its dependencies' scripts, through packages without any, and breaks cycles by depth and path", () => {
    const graph = lockfileGraph(lockfile)
    // top → mid → leaf → top: a cycle; mid has no scripts.
    const order = buildOrder(graph, ['node_modules/top', 'node_modules/leaf', 'node_modules/url'])
    expect(order.get('node_modules/leaf')).toEqual([])
    expect(order.get('node_modules/top')).toEqual(['node_modules/leaf'])
    expect(order.get('node_modules/url')).toEqual([])
    const chain = lockfileGraph({
      lockfileVersion: 3,
      packages: {
        '': { dependencies: { a: '1' } },
        'node_modules/a': { version: '1.0.0', dependencies: { b: '1' } },
        'node_modules/b': { version: '1.0.0', dependencies: { c: '1' } },
        'node_modules/c': { version: '1.0.0' },
      },
    })
    expect(buildOrder(chain, ['node_modules/a', 'node_modules/c'])).toEqual(
      new Map([
        ['node_modules/a', ['node_modules/c']],
        ['node_modules/c', []],
      ]),
    )
  })
})
