import type { Packument } from '@tote/types'
import { ToteError } from '@tote/types'
import { describe, expect, it } from 'vitest'
import { createResolver, type ResolverDeps } from '../src/index.js'
import { packuments } from './_registry.js'

// npm's `before` (and `min-release-age`, which is `before` that many days ago): versions published
// after the limit, by the packument's `time`, are not picked (npm-pick-manifest's rules).

const minute = (n: number) => new Date(Date.UTC(2020, 0, 1, 0, n)).toISOString()
const docs = packuments({
  a: { '1.0.0': {}, '1.1.0': {}, '1.2.0': {}, '2.0.0': {} },
  b: { versions: { '1.0.0': {}, '1.1.0': {}, '2.0.0': {} }, tags: { latest: '2.0.0', next: '1.1.0' } },
  '@org/c': { '1.0.0': {}, '1.1.0': {} },
})
const times: Record<string, Record<string, string>> = {
  a: { '1.0.0': minute(1), '1.1.0': minute(2), '1.2.0': minute(5), '2.0.0': minute(6) },
  b: { '1.0.0': minute(1), '1.1.0': minute(7), '2.0.0': minute(8) },
  '@org/c': { '1.0.0': minute(1), '1.1.0': minute(9) },
}
const cutoff = new Date(minute(3))

/** Packuments as a full registry document has them: with `time`. */
const dated: ResolverDeps = {
  async getPackument(name) {
    const doc = docs.get(name)
    if (!doc) throw new ToteError('E404', `${name} not found`)
    return { ...doc, time: times[name] } satisfies Packument
  },
}

async function versions(deps: ResolverDeps, dependencies: Record<string, string>, exclude?: string[]) {
  const resolver = createResolver(deps, {
    before: cutoff,
    ...(exclude ? { releaseAgeExclude: exclude } : {}),
  })
  const { lockfile } = await resolver.resolve({ dependencies })
  return Object.fromEntries(
    Object.entries(lockfile.packages)
      .filter(([path]) => path !== '')
      .map(([path, entry]) => [path.slice('node_modules/'.length), entry.version]),
  )
}

describe('before / min-release-age', () => {
  it('picks the highest version of a range published by then, passing over a later latest', async () => {
    expect(await versions(dated, { a: '^1.0.0' })).toEqual({ a: '1.1.0' })
    expect(await versions(dated, { a: '*' })).toEqual({ a: '1.1.0' })
  })

  it('reads a tag on a later version as the highest version up to it', async () => {
    // latest is 2.0.0 (minute 8), next 1.1.0 (minute 7): both later, so <=2.0.0 and <=1.1.0
    expect(await versions(dated, { b: 'latest' })).toEqual({ b: '1.0.0' })
    expect(await versions(dated, { b: 'next' })).toEqual({ b: '1.0.0' })
  })

  it('fails an exact version published later with ETARGET naming the date', async () => {
    const error = await versions(dated, { a: '2.0.0' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ToteError)
    expect((error as ToteError).code).toBe('ETARGET')
    expect((error as ToteError).message).toContain(`published by ${minute(3)}`)
    expect((error as ToteError).hint).toContain('1.0.0, 1.1.0')
  })

  it('leaves out the packages min-release-age-exclude names, by name or glob', async () => {
    expect(await versions(dated, { a: '^1.0.0', '@org/c': '^1.0.0' }, ['@org/*'])).toEqual({
      a: '1.1.0',
      '@org/c': '1.1.0',
    })
    expect(await versions(dated, { a: '^1.0.0' }, ['a'])).toEqual({ a: '1.2.0' })
  })

  it('asks for release times when packuments have none, and never uses version documents', async () => {
    const asked: string[] = []
    const abbreviated: ResolverDeps = {
      async getPackument(name) {
        asked.push(`packument ${name}`)
        return docs.get(name)!
      },
      async getVersion(name, selector) {
        asked.push(`version ${name}@${selector}`)
        const doc = docs.get(name)!
        const version = doc['dist-tags'][selector] ?? selector
        return { ...doc, versions: { [version]: doc.versions[version]! } }
      },
      async getReleaseTimes(name) {
        asked.push(`times ${name}`)
        return times[name]!
      },
    }
    expect(await versions(abbreviated, { a: '^1.0.0' })).toEqual({ a: '1.1.0' })
    expect(asked.sort()).toEqual(['packument a', 'times a'])
  })

  it('keeps a version the lockfile pins, however new', async () => {
    const resolver = createResolver(dated, { before: cutoff })
    const project = { dependencies: { a: '^1.0.0' } }
    const { lockfile: fresh } = await createResolver(dated).resolve(project)
    expect(fresh.packages['node_modules/a']?.version).toBe('1.2.0')
    const { lockfile } = await resolver.resolve(project, { lockfile: fresh })
    expect(lockfile.packages['node_modules/a']?.version).toBe('1.2.0')
  })
})
