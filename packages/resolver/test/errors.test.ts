import { isToteError, type ToteError } from '@tote/types'
import { describe, expect, it } from 'vitest'
import { createResolver } from '../src/index.js'
import { fakeSource, placed } from './_registry.js'

async function failure(promise: Promise<unknown>): Promise<ToteError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!isToteError(error)) throw new Error(`expected a ToteError, got ${String(error)}`)
  return error
}

describe('errors', () => {
  it('ETARGET names the range, the chain and the nearest versions', async () => {
    const source = fakeSource({
      a: { '1.0.0': { dependencies: { b: '2' } } },
      b: { '2.0.0': { dependencies: { c: '^5.0.0' } } },
      c: { '1.0.0': {}, '4.0.0': {}, '4.2.0': {}, '6.0.0': {}, '7.0.0': {} },
    })
    const error = await failure(createResolver(source).resolve({ dependencies: { a: '^1' } }))
    expect(error.code).toBe('ETARGET')
    expect(error.message).toContain('c@^5.0.0')
    expect(error.message).toContain('root → a@1.0.0 → b@2.0.0 → c@^5.0.0')
    expect(error.hint).toContain('4.2.0')
    expect(error.hint).toContain('6.0.0')
    expect(error.details).toMatchObject({ chain: ['root', 'a@1.0.0', 'b@2.0.0', 'c@^5.0.0'] })
    expect(error.details.nearest).toEqual(['1.0.0', '4.0.0', '4.2.0', '6.0.0', '7.0.0'])
  })

  it('ETARGET suggests the dist-tags and released versions, not prereleases', async () => {
    const source = fakeSource({
      c: {
        versions: { '4.0.0': {}, '4.2.0': {}, '5.0.0-beta.1': {}, '6.0.0-rc.1': {}, '6.0.0': {} },
        tags: { latest: '6.0.0', next: '6.0.0-rc.1' },
      },
    })
    const error = await failure(createResolver(source).resolve({ dependencies: { c: '^5.0.0' } }))
    expect(error.code).toBe('ETARGET')
    expect(error.hint).toBe(
      'Versions near it: 4.0.0, 4.2.0, 6.0.0; dist-tags: latest 6.0.0, next 6.0.0-rc.1.',
    )
  })

  it('an unknown package is rethrown with the chain', async () => {
    const source = fakeSource({ a: { '1.0.0': { dependencies: { ghost: '^1' } } } })
    const error = await failure(createResolver(source).resolve({ dependencies: { a: '^1' } }))
    expect(error.code).toBe('E404')
    expect(error.message).toContain('root → a@1.0.0 → ghost@^1')
    expect(error.details).toMatchObject({ name: 'ghost', chain: ['root', 'a@1.0.0', 'ghost@^1'] })
  })

  it('an optional dependency that fails is skipped with a warning, with what only it needed', async () => {
    const source = fakeSource({
      a: { '1.0.0': { dependencies: { b: '1' }, optionalDependencies: { ghost: '^1', bad: '^9' } } },
      b: { '1.0.0': {} },
      bad: { '1.0.0': {} },
    })
    const { lockfile, warnings } = await createResolver(source).resolve({ dependencies: { a: '^1' } })
    expect(placed(lockfile)).toEqual({ 'node_modules/a': '1.0.0', 'node_modules/b': '1.0.0' })
    expect(warnings.map((w) => w.code)).toEqual(['EOPTIONALFAILED', 'EOPTIONALFAILED'])
    expect(warnings.map((w) => w.chain)).toEqual([
      ['root', 'a@1.0.0', 'bad@^9'],
      ['root', 'a@1.0.0', 'ghost@^1'],
    ])
  })

  it('stops at an aborted signal', async () => {
    const controller = new AbortController()
    const source = fakeSource({ a: { '1.0.0': {} } }, () => 20)
    const promise = createResolver(source).resolve(
      { dependencies: { a: '1' } },
      { signal: controller.signal },
    )
    controller.abort(new Error('stop'))
    await expect(promise).rejects.toThrow('stop')
  })
})
