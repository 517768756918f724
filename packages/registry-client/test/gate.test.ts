import { createTestRegistry } from '@tote/test-registry'
import { describe, expect, it } from 'vitest'
import { createBodyGate } from '../src/http/_body-gate.js'
import { createRegistryClient } from '../src/index.js'

/** A body that records whether it flows. */
function body(name: string, log: string[]) {
  let flowing = true
  return {
    pause() {
      flowing = false
      log.push(`pause ${name}`)
    },
    resume() {
      flowing = true
      log.push(`resume ${name}`)
    },
    get flowing() {
      return flowing
    },
  }
}

describe('body gate', () => {
  it('lets small bodies and bodies of unknown size through, whatever else flows', () => {
    const log: string[] = []
    const gate = createBodyGate({ slots: 1, largeBytes: 1000, turnBytes: Number.POSITIVE_INFINITY })
    gate.enter(body('big', log), 5000)
    gate.enter(body('small', log), 999).leave()
    gate.enter(body('unknown', log), Number.NaN).leave()
    expect(log).toEqual([])
  })

  it('runs large bodies one at a time, the one with the fewest bytes left first', () => {
    const log: string[] = []
    const gate = createBodyGate({ slots: 1, largeBytes: 1000, turnBytes: Number.POSITIVE_INFINITY })
    const a = body('a', log)
    const passA = gate.enter(a, 10_000)
    passA.received(4000) // a has 6,000 left
    const b = body('b', log)
    const passB = gate.enter(b, 8000) // more left than a: waits
    const c = body('c', log)
    const passC = gate.enter(c, 2000) // fewer left than a: takes a's turn
    expect(log).toEqual(['pause b', 'pause a'])
    expect([a.flowing, b.flowing, c.flowing]).toEqual([false, false, true])
    passC.received(2000)
    passC.leave()
    // a (6,000 left) before b (8,000).
    expect(log.slice(2)).toEqual(['resume a'])
    passA.received(6000)
    passA.leave()
    expect(log.slice(3)).toEqual(['resume b'])
    passB.leave()
    expect([a.flowing, b.flowing, c.flowing]).toEqual([true, true, true])
  })

  it('frees the turn of a body that fails while it waits', () => {
    const log: string[] = []
    const gate = createBodyGate({ slots: 1, largeBytes: 1000, turnBytes: Number.POSITIVE_INFINITY })
    const first = gate.enter(body('first', log), 3000)
    gate.enter(body('failed', log), 5000).leave()
    const third = body('third', log)
    gate.enter(third, 4000)
    first.leave()
    expect(log).toEqual(['pause failed', 'pause third', 'resume third'])
    expect(third.flowing).toBe(true)
  })
})

/** The event loop's next turn: what setImmediate scheduled before this has run. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

describe('a large body giving way', () => {
  it('pauses after each turn of bytes and flows again at the next turn of the event loop', async () => {
    const log: string[] = []
    const gate = createBodyGate({ slots: 1, largeBytes: 1000, turnBytes: 100 })
    const big = body('big', log)
    const pass = gate.enter(big, 5000)
    pass.received(60)
    expect(log).toEqual([])
    pass.received(60)
    expect(log).toEqual(['pause big'])
    // Bytes already on their way while it gives way: no second pause.
    pass.received(50)
    expect(log).toEqual(['pause big'])
    await nextTurn()
    expect(log).toEqual(['pause big', 'resume big'])
    pass.received(50)
    expect(log).toEqual(['pause big', 'resume big', 'pause big'])
    await nextTurn()
    expect(big.flowing).toBe(true)
  })

  it('leaves small bodies and bodies of unknown size alone', async () => {
    const log: string[] = []
    const gate = createBodyGate({ slots: 1, largeBytes: 1000, turnBytes: 100 })
    gate.enter(body('small', log), 999).received(999)
    gate.enter(body('unknown', log), Number.NaN).received(5000)
    await nextTurn()
    expect(log).toEqual([])
  })

  it('stays paused when the gate gives its slot away meanwhile, until its turn comes back', async () => {
    const log: string[] = []
    const gate = createBodyGate({ slots: 1, largeBytes: 1000, turnBytes: 100 })
    const a = body('a', log)
    gate.enter(a, 5000).received(100)
    const passB = gate.enter(body('b', log), 2000)
    await nextTurn()
    expect(log).toEqual(['pause a', 'pause a'])
    expect(a.flowing).toBe(false)
    passB.leave()
    expect(log).toEqual(['pause a', 'pause a', 'resume a'])
    expect(a.flowing).toBe(true)
  })

  it('flows again once when its slot comes back before the next turn', async () => {
    const log: string[] = []
    const gate = createBodyGate({ slots: 1, largeBytes: 1000, turnBytes: 100 })
    const a = body('a', log)
    gate.enter(a, 5000).received(100)
    gate.enter(body('b', log), 2000).leave()
    expect(a.flowing).toBe(false)
    await nextTurn()
    expect(log).toEqual(['pause a', 'pause a', 'resume a'])
    expect(a.flowing).toBe(true)
  })
})

describe('large documents through the client', () => {
  it('all arrive whole when several large ones are fetched at once', async () => {
    // ~1.3 MB documents: long deprecation messages in many versions.
    const description = 'x'.repeat(4000)
    const big = (major: number) => ({
      versions: Object.fromEntries(
        Array.from({ length: 300 }, (_, i) => [`${major}.0.${i}`, { deprecated: description }]),
      ),
    })
    const registry = await createTestRegistry({
      packages: { one: big(1), two: big(2), three: big(3), small: { versions: { '1.0.0': {} } } },
    })
    const client = createRegistryClient({ registry: registry.url })
    try {
      const names = ['one', 'two', 'three', 'small']
      const packuments = await Promise.all(names.map((name) => client.getPackument(name)))
      expect(packuments.map((p) => p.versions.keys().length)).toEqual([300, 300, 300, 1])
      expect(packuments.map((p) => p['dist-tags'].latest)).toEqual(['1.0.299', '2.0.299', '3.0.299', '1.0.0'])
      expect(packuments[1]!.versions.get('2.0.7')?.version).toBe('2.0.7')
    } finally {
      await client.close()
      await registry.close()
    }
  })
})
