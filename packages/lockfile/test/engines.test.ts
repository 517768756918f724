import type { Lockfile } from '@tote/types'
import { describe, expect, it } from 'vitest'
import { unsupportedEngines } from '../src/index.js'

describe('unsupportedEngines', () => {
  it('lists what npm’s engine check warns about: not links, not optional entries, prereleases of Node included', () => {
    const lockfile: Lockfile = {
      name: 'p',
      lockfileVersion: 3 as const,
      requires: true,
      packages: {
        '': { name: 'p', engines: { node: '>=99' } },
        'node_modules/a': { version: '1.0.0', engines: { node: '>=99' } },
        'node_modules/b': { version: '1.0.0', engines: { node: '>=18' } },
        'node_modules/c': { version: '1.0.0', engines: { node: '>=99' }, optional: true },
        'node_modules/d': { version: '1.0.0', engines: { node: 'not a range' } },
        'node_modules/e': { version: '1.0.0', engines: { npm: '>=99' } },
        'node_modules/f': { name: 'real', version: '2.0.0', engines: { node: '>=21' } },
        'node_modules/l': { resolved: 'packages/l', link: true },
      },
    }
    expect(
      unsupportedEngines(lockfile, '22.0.0-rc.1').map((m) => `${m.path} ${m.name}@${m.version}`),
    ).toEqual([' p@', 'node_modules/a a@1.0.0', 'node_modules/d d@1.0.0'])
    expect(unsupportedEngines(lockfile, '20.9.0').map((m) => m.path)).toEqual([
      '',
      'node_modules/a',
      'node_modules/d',
      'node_modules/f',
    ])
  })
})
