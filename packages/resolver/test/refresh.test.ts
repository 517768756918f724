import { describe, expect, it } from 'vitest'
import { createResolver } from '../src/index.js'
import { fakeSource, placed } from './_registry.js'

// What `npm install <name>` (explicit requests) and `npm update <name>` (updateNames) resolve anew
// though the locked tree still fits: arborist's build-ideal-tree treats their edges as problems, and
// can-place-dep replaces what is there instead of keeping it.

const v1 = {
  a: { '1.0.0': { dependencies: { s: '^1' } } },
  b: { '1.0.0': { dependencies: { s: '^1' } } },
  s: { '1.0.0': {} },
}
const v2 = {
  a: { '1.0.0': { dependencies: { s: '^1' } }, '1.1.0': { dependencies: { s: '^1' } }, '2.0.0': {} },
  b: { '1.0.0': { dependencies: { s: '^1' } }, '1.2.0': { dependencies: { s: '^1' } } },
  s: { '1.0.0': {}, '1.1.0': {}, '2.0.0': {} },
}
const project = { name: 'p', dependencies: { a: '^1', b: '^1' } }

async function lockedV1() {
  return (await createResolver(fakeSource(v1)).resolve(project)).lockfile
}

describe('explicit requests (tote add)', () => {
  it('resolve a named project dependency to the newest version in range, the rest as locked', async () => {
    const lockfile = await lockedV1()
    const kept = await createResolver(fakeSource(v2)).resolve(project, { lockfile })
    expect(kept.lockfile).toBe(lockfile)
    const { lockfile: after } = await createResolver(fakeSource(v2)).resolve(project, {
      lockfile,
      explicit: ['a'],
    })
    expect(placed(after)).toEqual({
      'node_modules/a': '1.1.0',
      'node_modules/b': '1.0.0',
      'node_modules/s': '1.0.0',
    })
  })

  it('name only dependencies of the project: a transitive one of that name stays', async () => {
    const lockfile = await lockedV1()
    const { lockfile: after } = await createResolver(fakeSource(v2)).resolve(project, {
      lockfile,
      explicit: ['s'],
    })
    expect(placed(after)).toEqual(placed(lockfile))
  })
})

describe('update names (tote update <name>)', () => {
  it('resolve every dependency on the name anew, wherever it is', async () => {
    const lockfile = await lockedV1()
    const { lockfile: after } = await createResolver(fakeSource(v2)).resolve(project, {
      lockfile,
      update: ['s'],
    })
    expect(placed(after)).toEqual({
      'node_modules/a': '1.0.0',
      'node_modules/b': '1.0.0',
      'node_modules/s': '1.1.0',
    })
  })

  it('a direct dependency moves within its range only', async () => {
    const lockfile = await lockedV1()
    const { lockfile: after } = await createResolver(fakeSource(v2)).resolve(project, {
      lockfile,
      update: ['a', 'b'],
    })
    expect(placed(after)).toEqual({
      'node_modules/a': '1.1.0',
      'node_modules/b': '1.2.0',
      'node_modules/s': '1.0.0',
    })
  })
})
