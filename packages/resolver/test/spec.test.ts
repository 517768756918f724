import { isToteError } from '@tote/types'
import { describe, expect, it } from 'vitest'
import { createResolver } from '../src/index.js'
import { fakeSource, placed } from './_registry.js'

const source = () =>
  fakeSource({
    a: {
      versions: { '1.0.0': {}, '1.1.0': {}, '1.2.0': {}, '2.0.0': {}, '3.0.0-beta.1': {} },
      tags: { latest: '1.2.0', next: '3.0.0-beta.1' },
    },
  })

async function versionFor(spec: string): Promise<string | undefined> {
  const { lockfile } = await createResolver(source()).resolve({ dependencies: { a: spec } })
  return lockfile.packages['node_modules/a']?.version
}

describe('dependency specs', () => {
  it('semver ranges', async () => {
    expect(await versionFor('~1.1.0')).toBe('1.1.0')
    expect(await versionFor('>=2')).toBe('2.0.0')
  })

  it('exact versions, also when not the latest', async () => {
    expect(await versionFor('1.0.0')).toBe('1.0.0')
    expect(await versionFor('=1.1.0')).toBe('1.1.0')
  })

  it('dist-tags', async () => {
    expect(await versionFor('latest')).toBe('1.2.0')
    expect(await versionFor('next')).toBe('3.0.0-beta.1')
  })

  it('`*` and empty take latest', async () => {
    expect(await versionFor('*')).toBe('1.2.0')
    expect(await versionFor('')).toBe('1.2.0')
  })

  it('npm: aliases install the real package under the alias name', async () => {
    const { lockfile } = await createResolver(source()).resolve({
      dependencies: { x: 'npm:a@^2', a: '1.0.0' },
    })
    expect(lockfile.packages['node_modules/x']).toMatchObject({ name: 'a', version: '2.0.0' })
    expect(lockfile.packages['node_modules/a']).toMatchObject({ version: '1.0.0' })
    expect(lockfile.packages['node_modules/a']?.name).toBeUndefined()
    expect(lockfile.packages['node_modules/x']?.resolved).toContain('/a/-/a-2.0.0.tgz')
  })

  it.each([
    ['git', 'github:user/repo'],
    ['git', 'user/repo#main'],
    ['git', 'git+https://127.0.0.1/user/repo.git'],
    ['tarball', 'http://127.0.0.1:1/a-1.0.0.tgz'],
    ['file', 'file:../a'],
    ['file', './vendor/a'],
    ['file', 'a-1.0.0.tgz'],
    ['git', 'repo.git#v1'],
    ['link', 'link:../a'],
    ['workspace', 'workspace:*'],
  ])('%s spec %s: EUNSUPPORTEDSPEC naming the dependency and who wanted it', async (kind, spec) => {
    const deep = fakeSource({ top: { '1.0.0': { dependencies: { a: spec } } } })
    const error = await createResolver(deep)
      .resolve({ dependencies: { top: '^1' } })
      .catch((e: unknown) => e)
    expect(isToteError(error)).toBe(true)
    if (!isToteError(error)) return
    expect(error.code).toBe('EUNSUPPORTEDSPEC')
    expect(error.message).toContain(`"${spec}"`)
    expect(error.message).toContain('root → top@1.0.0 → a@')
    expect(error.details).toMatchObject({ name: 'a', kind })
  })

  it('an unsupported optional dependency is skipped with a warning', async () => {
    const { lockfile, warnings } = await createResolver(source()).resolve({
      dependencies: { a: '^1' },
      optionalDependencies: { b: 'github:user/b' },
    })
    expect(placed(lockfile)).toEqual({ 'node_modules/a': '1.2.0' })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatchObject({ code: 'EOPTIONALFAILED', chain: ['root', 'b@github:user/b'] })
  })
})
