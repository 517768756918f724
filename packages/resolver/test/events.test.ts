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

describe('request scheduling', () => {
  it('keeps at most `concurrency` speculative requests (plus the one placement waits for) with the client', async () => {
    const desc: Record<string, Record<string, { dependencies?: Record<string, string> }>> = {}
    const root: Record<string, string> = {}
    for (let i = 0; i < 12; i++) {
      root[`p${i}`] = '^1'
      desc[`p${i}`] = { '1.0.0': { dependencies: { [`q${i}`]: '^1', shared: '^1' } } }
      desc[`q${i}`] = { '1.0.0': {} }
    }
    desc.shared = { '1.0.0': {} }
    let inFlight = 0
    let most = 0
    const source = fakeSource(desc)
    const counting = {
      async getPackument(name: string) {
        inFlight++
        most = Math.max(most, inFlight)
        await new Promise((resolve) => setTimeout(resolve, 3))
        try {
          return await source.getPackument(name)
        } finally {
          inFlight--
        }
      },
    }
    const limited = await createResolver(counting, { concurrency: 2 }).resolve({ dependencies: root })
    expect(most).toBeLessThanOrEqual(3)
    const unlimited = await createResolver(fakeSource(desc)).resolve({ dependencies: root })
    expect(limited.lockfile).toEqual(unlimited.lockfile)
    expect(limited.stats.packuments).toBe(25)
  })
})
