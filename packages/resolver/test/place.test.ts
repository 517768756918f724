import { describe, expect, it } from 'vitest'
import { createResolver } from '../src/index.js'
import { fakeSource, placed } from './_registry.js'

describe('placement', () => {
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
})
