import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { type Packument, ToteError } from '@tote/types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createResolver } from '../src/index.js'
import { placed } from './_registry.js'

// Against a real HTTP registry on 127.0.0.1, through a minimal fetch-based packument source.
let registry: TestRegistry

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: {
      app: { versions: { '1.0.0': { dependencies: { lib: '^1.0.0', '@scope/util': '^2.0.0' } } } },
      lib: { versions: { '1.0.0': {}, '1.4.0': { dependencies: { '@scope/util': '^1.0.0' } }, '2.0.0': {} } },
      '@scope/util': { versions: { '1.0.0': {}, '2.0.0': {}, '2.1.0': {} } },
    },
  })
})

afterAll(async () => {
  await registry.close()
})

async function getPackument(name: string): Promise<Packument> {
  const response = await fetch(registry.url + name.replace('/', '%2f'))
  if (response.status === 404) throw new ToteError('E404', `${name} is not in the registry`)
  if (!response.ok) throw new Error(`GET ${name}: ${response.status}`)
  return (await response.json()) as Packument
}

describe('with @tote/test-registry', () => {
  it('resolves, places and records what the registry serves', async () => {
    const { lockfile, stats } = await createResolver({ getPackument }).resolve({
      dependencies: { app: '^1' },
    })
    expect(placed(lockfile)).toEqual({
      'node_modules/@scope/util': '2.1.0',
      'node_modules/app': '1.0.0',
      'node_modules/lib': '1.4.0',
      'node_modules/lib/node_modules/@scope/util': '1.0.0',
    })
    const lib = lockfile.packages['node_modules/lib']
    expect(lib?.resolved?.startsWith(registry.url)).toBe(true)
    expect(lib?.integrity).toMatch(/^sha512-/)
    expect(stats).toEqual({ packuments: 3, packages: 4 })
  })

  it('leaves registry URLs out with omitLockfileRegistryResolved', async () => {
    const resolver = createResolver(
      { getPackument },
      { omitLockfileRegistryResolved: true, registryFor: () => registry.url },
    )
    const { lockfile } = await resolver.resolve({ dependencies: { lib: '2' } })
    expect(lockfile.packages['node_modules/lib']).toMatchObject({ version: '2.0.0' })
    expect(lockfile.packages['node_modules/lib']?.resolved).toBeUndefined()
  })

  it('an unknown package is E404 with the chain', async () => {
    await expect(
      createResolver({ getPackument }).resolve({ dependencies: { nope: '^1' } }),
    ).rejects.toMatchObject({
      code: 'E404',
      details: { chain: ['root', 'nope@^1'] },
    })
  })
})
