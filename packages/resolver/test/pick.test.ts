import { describe, expect, it } from 'vitest'
import { createResolver } from '../src/index.js'
import { fakeSource, type PackageDesc } from './_registry.js'

async function pick(pkg: PackageDesc, spec: string, nodeVersion = 'v20.20.0'): Promise<string | undefined> {
  const { lockfile } = await createResolver(fakeSource({ a: pkg }), { nodeVersion }).resolve({
    dependencies: { a: spec },
  })
  return lockfile.packages['node_modules/a']?.version
}

describe('picking a version (npm-pick-manifest)', () => {
  it('takes the latest tag when it satisfies, even over higher versions', async () => {
    const pkg = { versions: { '1.0.0': {}, '1.5.0': {}, '1.9.0': {} }, tags: { latest: '1.5.0' } }
    expect(await pick(pkg, '^1.0.0')).toBe('1.5.0')
  })

  it('takes the highest satisfying version when latest is out of range', async () => {
    const pkg = { versions: { '1.0.0': {}, '1.5.0': {}, '2.0.0': {} }, tags: { latest: '2.0.0' } }
    expect(await pick(pkg, '^1.0.0')).toBe('1.5.0')
  })

  it('passes over a deprecated or engine-incompatible latest', async () => {
    const deprecated = {
      versions: { '1.0.0': {}, '1.1.0': { deprecated: 'old' } },
      tags: { latest: '1.1.0' },
    }
    expect(await pick(deprecated, '^1.0.0')).toBe('1.0.0')
    const engines = {
      versions: { '1.0.0': {}, '1.1.0': { engines: { node: '>=22' } } },
      tags: { latest: '1.1.0' },
    }
    expect(await pick(engines, '^1.0.0', 'v20.20.0')).toBe('1.0.0')
    expect(await pick(engines, '^1.0.0', 'v22.0.0')).toBe('1.1.0')
  })

  it('avoids deprecated versions when latest does not apply', async () => {
    const pkg = {
      versions: { '1.0.0': {}, '1.1.0': { deprecated: 'broken' }, '2.0.0': {} },
      tags: { latest: '2.0.0' },
    }
    expect(await pick(pkg, '^1.0.0')).toBe('1.0.0')
  })

  it('prefers versions whose engines.node accepts the node version', async () => {
    const pkg = {
      versions: {
        '1.0.0': { engines: { node: '>=18' } },
        '1.1.0': { engines: { node: '>=22' } },
        '2.0.0': {},
      },
      tags: { latest: '2.0.0' },
    }
    expect(await pick(pkg, '^1.0.0', 'v20.20.0')).toBe('1.0.0')
    expect(await pick(pkg, '^1.0.0', 'v22.1.0')).toBe('1.1.0')
  })

  it('ranks engine-ok before not-deprecated, and both before a higher version', async () => {
    const pkg = {
      versions: {
        '1.0.0': { deprecated: 'old' },
        '1.1.0': { engines: { node: '>=99' } },
        '1.2.0': { engines: { node: '>=99' }, deprecated: 'old' },
        '2.0.0': {},
      },
      tags: { latest: '2.0.0' },
    }
    expect(await pick(pkg, '^1.0.0')).toBe('1.0.0')
  })

  it('falls back to a deprecated or engine-incompatible version when nothing else fits', async () => {
    const pkg = { versions: { '1.0.0': { deprecated: 'x' }, '2.0.0': {} }, tags: { latest: '2.0.0' } }
    expect(await pick(pkg, '^1.0.0')).toBe('1.0.0')
  })

  it('never picks prereleases unless the range names one', async () => {
    const pkg = { versions: { '1.0.0': {}, '1.1.0-rc.1': {}, '2.0.0-beta.1': {} }, tags: { latest: '1.0.0' } }
    expect(await pick(pkg, '>=1.0.0')).toBe('1.0.0')
    expect(await pick(pkg, '^1.1.0-rc.0')).toBe('1.1.0-rc.1')
    expect(await pick(pkg, '>=2.0.0-beta.0')).toBe('2.0.0-beta.1')
  })
})
