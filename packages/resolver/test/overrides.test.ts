import { describe, expect, it } from 'vitest'
import { createResolver } from '../src/index.js'
import { fakeSource, placed } from './_registry.js'

const desc = {
  a: { '1.0.0': { dependencies: { c: '^1.0.0' } } },
  b: { '1.0.0': { dependencies: { c: '^2.0.0' } }, '1.1.0': { dependencies: { c: '^2.0.0' } } },
  c: { '1.0.0': {}, '1.1.0': {}, '2.0.0': {}, '2.1.0': {} },
}

describe('npm overrides', () => {
  it('"pkg": spec applies everywhere', async () => {
    const { lockfile } = await createResolver(fakeSource(desc)).resolve({
      dependencies: { a: '1', b: '1' },
      overrides: { c: '1.0.0' },
    })
    expect(placed(lockfile)).toEqual({
      'node_modules/a': '1.0.0',
      'node_modules/b': '1.1.0',
      'node_modules/c': '1.0.0',
    })
  })

  it('"pkg@range": spec applies only to edges whose range meets it', async () => {
    const { lockfile } = await createResolver(fakeSource(desc)).resolve({
      dependencies: { a: '1', b: '1' },
      overrides: { 'c@^2': '2.0.0' },
    })
    expect(placed(lockfile)).toEqual({
      'node_modules/a': '1.0.0',
      'node_modules/b': '1.1.0',
      'node_modules/b/node_modules/c': '2.0.0',
      'node_modules/c': '1.1.0',
    })
  })

  it('nested objects apply within the parent’s subtree only', async () => {
    const { lockfile } = await createResolver(fakeSource(desc)).resolve({
      dependencies: { a: '1', b: '1' },
      overrides: { a: { c: '1.0.0' } },
    })
    // a's c is pinned (and, placed first, hoists); b's c is not overridden
    expect(placed(lockfile)).toEqual({
      'node_modules/a': '1.0.0',
      'node_modules/b': '1.1.0',
      'node_modules/b/node_modules/c': '2.1.0',
      'node_modules/c': '1.0.0',
    })
  })

  it('"." sets the parent’s own spec', async () => {
    const { lockfile } = await createResolver(fakeSource(desc)).resolve({
      dependencies: { b: '^1' },
      overrides: { b: { '.': '1.0.0', c: '2.0.0' } },
    })
    expect(placed(lockfile)).toEqual({ 'node_modules/b': '1.0.0', 'node_modules/c': '2.0.0' })
  })

  it('"$name" takes the root’s own spec for that dependency', async () => {
    const { lockfile } = await createResolver(fakeSource(desc)).resolve({
      dependencies: { a: '1', c: '2.0.0' },
      overrides: { c: '$c' },
    })
    // a wants ^1 but is overridden to the root's 2.0.0, so one copy at the top serves both
    expect(placed(lockfile)).toEqual({ 'node_modules/a': '1.0.0', 'node_modules/c': '2.0.0' })
    expect(lockfile.packages['node_modules/a']?.dependencies).toEqual({ c: '^1.0.0' })
  })

  it('an override that matches the root dependency spec (as in ant-design) changes nothing else', async () => {
    const { lockfile } = await createResolver(fakeSource(desc)).resolve({
      devDependencies: { b: '1', c: '^2.0.0' },
      overrides: { c: '^2.0.0' },
    })
    expect(placed(lockfile)).toEqual({ 'node_modules/b': '1.1.0', 'node_modules/c': '2.1.0' })
  })
})
