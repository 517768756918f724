import { describe, expect, it } from 'vitest'
import { createResolver, type ResolverEvent } from '../src/index.js'
import { fakeSource } from './_registry.js'

describe('events', () => {
  it('reports requests, picks (with the manifest), progress and warnings', async () => {
    const source = fakeSource({
      a: { '1.0.0': { dependencies: { b: '^1' } } },
      b: { '1.0.0': {}, '1.1.0': {} },
    })
    const events: ResolverEvent[] = []
    const { stats } = await createResolver(source, { onEvent: (event) => events.push(event) }).resolve({
      dependencies: { a: '^1' },
      optionalDependencies: { gone: '^1' },
    })
    const requested = events.flatMap((e) => (e.type === 'packument-requested' ? [e.name] : []))
    expect(requested.sort()).toEqual(['a', 'b', 'gone'])
    const picked = events.flatMap((e) =>
      e.type === 'version-picked' ? [`${e.name}@${e.manifest.version}`] : [],
    )
    expect(picked.sort()).toEqual(['a@1.0.0', 'b@1.1.0'])
    const progress = events.filter((e) => e.type === 'progress')
    expect(progress.at(-1)).toEqual({ type: 'progress', resolved: 3, pending: 0 })
    expect(events.filter((e) => e.type === 'warning').map((e) => e.type === 'warning' && e.code)).toEqual([
      'EOPTIONALFAILED',
    ])
    expect(stats).toEqual({ packuments: 3, packages: 2 })
  })
})
