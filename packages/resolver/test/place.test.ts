import { describe, expect, it } from 'vitest'
import { createResolver } from '../src/index.js'
import { fakeSource, placed } from './_registry.js'

describe('placement (npm hoisted layout)', () => {
  it('hoists one version and nests the other (a→c@1, b→c@2)', async () => {
    const source = fakeSource({
      a: { '1.0.0': { dependencies: { c: '^1.0.0' } } },
      b: { '1.0.0': { dependencies: { c: '^2.0.0' } } },
      c: { '1.0.0': {}, '2.0.0': {} },
    })
    const { lockfile } = await createResolver(source).resolve({
      name: 'p',
      dependencies: { a: '^1', b: '^1' },
    })
    expect(placed(lockfile)).toEqual({
      'node_modules/a': '1.0.0',
      'node_modules/b': '1.0.0',
      'node_modules/b/node_modules/c': '2.0.0',
      'node_modules/c': '1.0.0',
    })
  })

  it('dedupes a shared dependency at the top', async () => {
    const source = fakeSource({
      a: { '1.0.0': { dependencies: { c: '^1.0.0' } } },
      b: { '1.0.0': { dependencies: { c: '^1.1.0' } } },
      c: { '1.0.0': {}, '1.1.0': {}, '1.2.0': {} },
    })
    const { lockfile } = await createResolver(source).resolve({ dependencies: { a: '1', b: '1' } })
    expect(placed(lockfile)).toEqual({
      'node_modules/a': '1.0.0',
      'node_modules/b': '1.0.0',
      'node_modules/c': '1.2.0',
    })
  })

  it('the root’s own version wins the top; deeper needs nest', async () => {
    const source = fakeSource({
      a: { '1.0.0': { dependencies: { c: '^1.0.0', d: '^1.0.0' } } },
      c: { '1.0.0': {}, '2.0.0': {} },
      d: { '1.0.0': { dependencies: { c: '^1.0.0' } } },
    })
    const { lockfile } = await createResolver(source).resolve({ dependencies: { a: '^1', c: '^2' } })
    expect(placed(lockfile)).toEqual({
      'node_modules/a': '1.0.0',
      'node_modules/a/node_modules/c': '1.0.0',
      'node_modules/c': '2.0.0',
      'node_modules/d': '1.0.0',
      'node_modules/d/node_modules/c': '1.0.0',
    })
  })

  it('does not place where it would change what a package below resolves to', async () => {
    // a's nested x@2 reaches the top e@1 through a; e@3 (for y@2) placed in a would shadow it
    const source = fakeSource({
      a: { '1.0.0': { dependencies: { x: '2', y: '2' } } },
      x: { '1.0.0': {}, '2.0.0': { dependencies: { e: '^1' } } },
      y: { '1.0.0': {}, '2.0.0': { dependencies: { e: '^3' } } },
      e: { '1.0.0': {}, '3.0.0': {} },
    })
    const { lockfile } = await createResolver(source).resolve({
      dependencies: { a: '1', e: '1', x: '1', y: '1' },
    })
    expect(placed(lockfile)).toEqual({
      'node_modules/a': '1.0.0',
      'node_modules/a/node_modules/x': '2.0.0',
      'node_modules/a/node_modules/y': '2.0.0',
      'node_modules/a/node_modules/y/node_modules/e': '3.0.0',
      'node_modules/e': '1.0.0',
      'node_modules/x': '1.0.0',
      'node_modules/y': '1.0.0',
    })
  })

  it('links a dependency loop that cannot be satisfied by nesting (a1 → b1 → a2 → b2 → a1)', async () => {
    const source = fakeSource({
      a: { '1.0.0': { dependencies: { b: '1' } }, '2.0.0': { dependencies: { b: '2' } } },
      b: { '1.0.0': { dependencies: { a: '2' } }, '2.0.0': { dependencies: { a: '1' } } },
    })
    const { lockfile } = await createResolver(source).resolve({ dependencies: { a: '1' } })
    const links = Object.values(lockfile.packages).filter((entry) => entry.link)
    expect(links.length).toBeGreaterThan(0)
    expect(Object.keys(lockfile.packages).length).toBeLessThan(10)
  })
})

describe('dependency flags', () => {
  it('dev, optional, devOptional and peer as npm computes them', async () => {
    const source = fakeSource({
      a: { '1.0.0': { dependencies: { s: '1' } } },
      d: { '1.0.0': { dependencies: { s: '1', x: '1', y: '1' } } },
      o: { '1.0.0': { dependencies: { y: '1', z: '1' } } },
      p: { '1.0.0': { peerDependencies: { q: '1' } } },
      q: { '1.0.0': {} },
      s: { '1.0.0': {} },
      x: { '1.0.0': {} },
      y: { '1.0.0': {} },
      z: { '1.0.0': {} },
    })
    const { lockfile } = await createResolver(source).resolve({
      dependencies: { a: '1', p: '1' },
      devDependencies: { d: '1' },
      optionalDependencies: { o: '1' },
    })
    const flags = (path: string) => {
      const entry = lockfile.packages[`node_modules/${path}`] ?? {}
      return (['dev', 'optional', 'devOptional', 'peer'] as const).filter((flag) => entry[flag])
    }
    expect(flags('a')).toEqual([])
    expect(flags('s')).toEqual([])
    expect(flags('d')).toEqual(['dev'])
    expect(flags('x')).toEqual(['dev'])
    expect(flags('o')).toEqual(['optional'])
    expect(flags('z')).toEqual(['optional'])
    expect(flags('y')).toEqual(['devOptional'])
    expect(flags('p')).toEqual([])
    expect(flags('q')).toEqual(['peer'])
  })
})

describe('platform fields', () => {
  it('keeps os/cpu/libc of optional dependencies and installs them on every platform', async () => {
    const source = fakeSource({
      tool: { '1.0.0': { optionalDependencies: { 'tool-aix': '1.0.0', 'tool-linux': '1.0.0' } } },
      'tool-aix': { '1.0.0': { os: ['aix'], cpu: ['ppc64'] } },
      'tool-linux': { '1.0.0': { os: ['linux'], cpu: ['x64'], libc: ['musl'] } },
    })
    const { lockfile } = await createResolver(source).resolve({ dependencies: { tool: '1' } })
    expect(lockfile.packages['node_modules/tool-aix']).toMatchObject({
      os: ['aix'],
      cpu: ['ppc64'],
      optional: true,
    })
    expect(lockfile.packages['node_modules/tool-linux']).toMatchObject({
      os: ['linux'],
      cpu: ['x64'],
      libc: ['musl'],
      optional: true,
    })
  })
})
