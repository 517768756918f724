import { describe, expect, it } from 'vitest'
import { createResolver } from '../src/index.js'
import { fakeSource, placed } from './_registry.js'

describe('peer dependencies (npm 7+)', () => {
  it('installs a peer beside its dependent, flagged peer', async () => {
    const source = fakeSource({
      plugin: { '1.0.0': { peerDependencies: { host: '^2' } } },
      host: { '1.0.0': {}, '2.0.0': {}, '2.1.0': {} },
    })
    const { lockfile, warnings } = await createResolver(source).resolve({ dependencies: { plugin: '1' } })
    expect(placed(lockfile)).toEqual({ 'node_modules/host': '2.1.0', 'node_modules/plugin': '1.0.0' })
    expect(lockfile.packages['node_modules/host']?.peer).toBe(true)
    expect(lockfile.packages['node_modules/plugin']?.peerDependencies).toEqual({ host: '^2' })
    expect(warnings).toEqual([])
  })

  it('nests the dependent with its peer when the top has another version', async () => {
    const source = fakeSource({
      a: { '1.0.0': { dependencies: { plugin: '1' } } },
      plugin: { '1.0.0': { peerDependencies: { host: '^1' } } },
      host: { '1.0.0': {}, '2.0.0': {} },
    })
    const { lockfile, warnings } = await createResolver(source).resolve({
      dependencies: { a: '1', host: '2' },
    })
    expect(placed(lockfile)).toEqual({
      'node_modules/a': '1.0.0',
      'node_modules/a/node_modules/host': '1.0.0',
      'node_modules/a/node_modules/plugin': '1.0.0',
      'node_modules/host': '2.0.0',
    })
    expect(warnings).toEqual([])
  })

  it('uses the dependant’s own range for a shared peer when both fit', async () => {
    const source = fakeSource({
      plugin: { '1.0.0': { peerDependencies: { host: '>=1' } } },
      host: { '1.0.0': {}, '1.5.0': {}, '2.0.0': {} },
    })
    const { lockfile } = await createResolver(source).resolve({ dependencies: { plugin: '1', host: '^1' } })
    expect(placed(lockfile)).toEqual({ 'node_modules/host': '1.5.0', 'node_modules/plugin': '1.0.0' })
  })

  it('does not install optional peers unless something else needs them', async () => {
    const desc = {
      tool: {
        '1.0.0': { peerDependencies: { sass: '*' }, peerDependenciesMeta: { sass: { optional: true } } },
      },
      sass: { '1.0.0': {} },
      other: { '1.0.0': { dependencies: { sass: '^1' } } },
    }
    const alone = await createResolver(fakeSource(desc)).resolve({ dependencies: { tool: '1' } })
    expect(placed(alone.lockfile)).toEqual({ 'node_modules/tool': '1.0.0' })
    const needed = await createResolver(fakeSource(desc)).resolve({ dependencies: { tool: '1', other: '1' } })
    expect(placed(needed.lockfile)).toEqual({
      'node_modules/other': '1.0.0',
      'node_modules/sass': '1.0.0',
      'node_modules/tool': '1.0.0',
    })
    expect(needed.lockfile.packages['node_modules/sass']?.peer).toBeUndefined()
  })

  it('installs the project’s own peerDependencies', async () => {
    const source = fakeSource({ react: { '18.0.0': {}, '19.0.0': {} } })
    const { lockfile } = await createResolver(source).resolve({ peerDependencies: { react: '>=18' } })
    expect(lockfile.packages['node_modules/react']).toMatchObject({ version: '19.0.0', peer: true })
    expect(lockfile.packages['']?.peerDependencies).toEqual({ react: '>=18' })
  })

  it('a conflict in the project’s own peer set is ERESOLVE, as npm’s', async () => {
    const desc = {
      a: { '1.0.0': { dependencies: { plugin: '1' } } },
      plugin: { '1.0.0': { peerDependencies: { host: '^1' } } },
      host: { '1.0.0': {}, '2.0.0': {} },
    }
    await expect(
      createResolver(fakeSource(desc)).resolve({ dependencies: { plugin: '1', host: '2' } }),
    ).rejects.toMatchObject({
      code: 'ERESOLVE',
      details: { name: 'host', wanted: { chain: ['root', 'plugin@1.0.0', 'peer host@^1'] } },
    })
  })

  it('with force, a peer conflict is a warning naming the chain, and the other version is kept', async () => {
    const source = fakeSource({
      a: { '1.0.0': { dependencies: { plugin: '1' } } },
      plugin: { '1.0.0': { peerDependencies: { host: '^1' } } },
      host: { '1.0.0': {}, '2.0.0': {} },
    })
    const { lockfile, warnings } = await createResolver(source, { force: true }).resolve({
      dependencies: { plugin: '1', host: '2' },
    })
    expect(placed(lockfile)).toEqual({ 'node_modules/host': '2.0.0', 'node_modules/plugin': '1.0.0' })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatchObject({ code: 'EPEERCONFLICT', chain: ['root', 'plugin@1.0.0', 'host@^1'] })
    expect(warnings[0]?.message).toContain('host@2.0.0')
  })

  it('legacyPeerDeps ignores peers but keeps them listed', async () => {
    const source = fakeSource({
      plugin: { '1.0.0': { peerDependencies: { host: '^2' } } },
      host: { '2.0.0': {} },
    })
    const { lockfile, warnings } = await createResolver(source, { legacyPeerDeps: true }).resolve({
      dependencies: { plugin: '1' },
      peerDependencies: { host: '^2' },
    })
    expect(placed(lockfile)).toEqual({ 'node_modules/plugin': '1.0.0' })
    expect(lockfile.packages['node_modules/plugin']?.peerDependencies).toEqual({ host: '^2' })
    expect(source.calls).not.toContain('host')
    expect(warnings).toEqual([])
  })
})
