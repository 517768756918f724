import type { Lockfile } from '@tote/types'
import { describe, expect, it } from 'vitest'
import { createResolver } from '../src/index.js'
import { fakeSource, packuments, placed, REGISTRY } from './_registry.js'

const v1 = {
  a: { '1.0.0': { dependencies: { s: '^1' } } },
  b: { '1.0.0': { dependencies: { s: '^1' } }, '2.0.0': { dependencies: { t: '^1' } } },
  s: { '1.0.0': {} },
  t: { '1.0.0': {} },
}
// later, newer versions of everything exist
const v2 = {
  ...v1,
  a: { '1.0.0': { dependencies: { s: '^1' } }, '1.1.0': { dependencies: { s: '^1' } } },
  s: { '1.0.0': {}, '1.1.0': {} },
}

describe('existing lockfile', () => {
  it('is returned as is when up to date, without asking for any packument', async () => {
    const project = { name: 'p', dependencies: { a: '^1', b: '^1' } }
    const first = await createResolver(fakeSource(v1)).resolve(project)
    const source = fakeSource(v2)
    const again = await createResolver(source).resolve(project, { lockfile: first.lockfile })
    expect(again.lockfile).toBe(first.lockfile)
    expect(source.calls).toEqual([])
    expect(again.stats).toEqual({ packuments: 0, packages: 3 })
  })

  it('after a change resolves only what changed, keeps the rest, drops what is no longer needed', async () => {
    const first = await createResolver(fakeSource(v1)).resolve({ dependencies: { a: '^1', b: '^1' } })
    const source = fakeSource(v2)
    const { lockfile } = await createResolver(source).resolve(
      { dependencies: { a: '^1', b: '^2' } },
      { lockfile: first.lockfile },
    )
    expect(placed(lockfile)).toEqual({
      'node_modules/a': '1.0.0', // kept, though 1.1.0 exists now
      'node_modules/b': '2.0.0',
      'node_modules/s': '1.0.0', // kept
      'node_modules/t': '1.0.0',
    })
    expect([...source.calls].sort()).toEqual(['b', 't'])
    expect(lockfile.packages['']?.dependencies).toEqual({ a: '^1', b: '^2' })
  })

  it('a removed dependency takes what only it needed along', async () => {
    const first = await createResolver(fakeSource(v1)).resolve({ dependencies: { a: '^1', b: '^2' } })
    const source = fakeSource(v2)
    const { lockfile } = await createResolver(source).resolve(
      { dependencies: { a: '^1' } },
      { lockfile: first.lockfile },
    )
    expect(placed(lockfile)).toEqual({ 'node_modules/a': '1.0.0', 'node_modules/s': '1.0.0' })
    expect(source.calls).toEqual([])
  })

  it('a locked version that no longer satisfies is replaced', async () => {
    const first = await createResolver(fakeSource(v1)).resolve({ dependencies: { s: '^1' } })
    const source = fakeSource(v2)
    const { lockfile } = await createResolver(source).resolve(
      { dependencies: { s: '^1.1.0' } },
      { lockfile: first.lockfile },
    )
    expect(placed(lockfile)).toEqual({ 'node_modules/s': '1.1.0' })
    expect(source.calls).toEqual(['s'])
  })
})

describe('lockfile entries', () => {
  it('has npm’s top level and root entry', async () => {
    const project = {
      name: 'p',
      version: '1.2.3',
      license: 'MIT',
      bin: './cli.js',
      engines: { node: '>=20' },
      dependencies: { a: '^1' },
      devDependencies: { t: '^1' },
      optionalDependencies: { s: '^1' },
      peerDependencies: { b: '^1' },
    }
    const { lockfile } = await createResolver(fakeSource(v1)).resolve(project)
    expect(Object.keys(lockfile)).toEqual(['name', 'version', 'lockfileVersion', 'requires', 'packages'])
    expect(lockfile).toMatchObject({ name: 'p', version: '1.2.3', lockfileVersion: 3, requires: true })
    expect(lockfile.packages['']).toEqual({
      name: 'p',
      version: '1.2.3',
      license: 'MIT',
      dependencies: { a: '^1' },
      devDependencies: { t: '^1' },
      optionalDependencies: { s: '^1' },
      peerDependencies: { b: '^1' },
      bin: { p: 'cli.js' },
      engines: { node: '>=20' },
    })
  })

  it('copies npm’s fields from the manifest', async () => {
    const source = fakeSource({
      x: {
        '1.0.0': {
          license: { type: 'ISC' } as unknown as string,
          deprecated: 'use y',
          hasInstallScript: true,
          bin: { 'x-cli': './bin/x.js' },
          engines: { node: '>=18' },
          funding: { url: 'http://127.0.0.1/fund' },
          dependencies: { s: '^1' },
          peerDependencies: { t: '^1' },
          peerDependenciesMeta: { t: { optional: true } },
          dist: { tarball: `${REGISTRY}x/-/x-1.0.0.tgz`, shasum: 'aa'.repeat(20) },
        },
      },
      s: { '1.0.0': { funding: 'http://127.0.0.1/s' } },
      t: { '1.0.0': {} },
    })
    const { lockfile } = await createResolver(source).resolve({ dependencies: { x: '1' } })
    expect(lockfile.packages['node_modules/s']?.funding).toEqual({ url: 'http://127.0.0.1/s' })
    expect(lockfile.packages['node_modules/x']).toEqual({
      version: '1.0.0',
      resolved: `${REGISTRY}x/-/x-1.0.0.tgz`,
      integrity: `sha1-${Buffer.from('aa'.repeat(20), 'hex').toString('base64')}`,
      license: 'ISC',
      deprecated: 'use y',
      hasInstallScript: true,
      dependencies: { s: '^1' },
      peerDependencies: { t: '^1' },
      peerDependenciesMeta: { t: { optional: true } },
      bin: { 'x-cli': 'bin/x.js' },
      engines: { node: '>=18' },
      funding: { url: 'http://127.0.0.1/fund' },
    })
  })

  it('omits registry `resolved` URLs when asked, and only those', async () => {
    const desc = { a: { '1.0.0': {} } }
    const omit = { omitLockfileRegistryResolved: true }
    const under = await createResolver(fakeSource(desc), { ...omit, registryFor: () => REGISTRY }).resolve({
      dependencies: { a: '1' },
    })
    expect(under.lockfile.packages['node_modules/a']?.resolved).toBeUndefined()
    const elsewhere = await createResolver(fakeSource(desc), {
      ...omit,
      registryFor: () => 'http://127.0.0.1:9/',
    }).resolve({ dependencies: { a: '1' } })
    expect(elsewhere.lockfile.packages['node_modules/a']?.resolved).toBe(`${REGISTRY}a/-/a-1.0.0.tgz`)
    expect(packuments(desc).get('a')?.versions['1.0.0']?.dist.integrity).toBe(
      elsewhere.lockfile.packages['node_modules/a']?.integrity,
    )
  })

  it('with omitLockfileRegistryResolved, drops `resolved` from registry entries kept from the lockfile read, as npm does', async () => {
    const desc = { a: { '1.0.0': {} }, b: { '1.0.0': {} }, c: { '1.0.0': {} } }
    // a lockfile written elsewhere, with every URL (here under another registry's address)
    const first = await createResolver(fakeSource(desc), { registryFor: () => REGISTRY }).resolve({
      dependencies: { a: '1', b: '1' },
    })
    // then a dependency added: a and b are kept from that lockfile
    const source = fakeSource(desc)
    const again = await createResolver(source, {
      omitLockfileRegistryResolved: true,
      registryFor: () => 'http://127.0.0.1:9/',
    }).resolve({ dependencies: { a: '1', b: '1', c: '1' } }, { lockfile: first.lockfile })
    expect(source.calls).toEqual(['c'])
    expect(again.lockfile.packages['node_modules/a']).toEqual({
      version: '1.0.0',
      integrity: first.lockfile.packages['node_modules/a']?.integrity,
    })
    expect(again.lockfile.packages['node_modules/b']?.resolved).toBeUndefined()
  })

  it('is the same JSON whatever order packuments arrive in', async () => {
    const desc = {
      app: { '1.0.0': { dependencies: { ui: '^1', util: '^1', log: '^2' } } },
      ui: { '1.0.0': { dependencies: { util: '^2', log: '^1' }, peerDependencies: { react: '^18' } } },
      util: { '1.0.0': { dependencies: { log: '^1' } }, '2.0.0': { dependencies: { log: '^2' } } },
      log: { '1.0.0': {}, '1.1.0': {}, '2.0.0': {} },
      react: { '17.0.0': {}, '18.0.0': {}, '18.2.0': {} },
      dom: { '18.0.0': { peerDependencies: { react: '18.0.0' } } },
      opt: { '1.0.0': { os: ['darwin'], dependencies: { log: '^1' } } },
    }
    const project = {
      dependencies: { app: '^1', dom: '^18', util: '^1' },
      devDependencies: { log: '^1' },
      optionalDependencies: { opt: '^1' },
    }
    const results = new Set<string>()
    for (let run = 0; run < 20; run++) {
      const source = fakeSource(desc, () => Math.floor(Math.random() * 6))
      const { lockfile } = await createResolver(source).resolve(project)
      results.add(JSON.stringify(lockfile))
    }
    expect(results.size).toBe(1)
    const lockfile = JSON.parse([...results][0]!) as Lockfile
    expect(Object.keys(lockfile.packages).length).toBeGreaterThan(6)
  })
})
