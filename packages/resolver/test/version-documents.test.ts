import { isToteError } from '@tote/types'
import { describe, expect, it } from 'vitest'
import { createResolver } from '../src/index.js'
import { fakeSource, fakeVersionDocuments, type PackageDesc, placed } from './_registry.js'

// The project's ranges, exact versions and tags are settled from `<name>/<selector>` documents
// where one can settle them; the packument is fetched for the others. The tree is npm's either way.
const registry: Record<string, PackageDesc> = {
  // latest satisfies ^1: settled by `a latest`
  a: { '1.0.0': {}, '1.2.0': { dependencies: { g: '^1.0.0', h: '2.0.0' } } },
  // latest (2.0.0) is outside ^1: the packument picks 1.5.0
  b: { '1.0.0': {}, '1.5.0': {}, '2.0.0': {} },
  // latest is deprecated: npm passes over it, so the packument picks 1.0.0
  c: { '1.0.0': {}, '1.1.0': { deprecated: 'do not use' } },
  // an exact version that is not latest
  d: { '1.0.0': {}, '3.0.0': {} },
  // a tag
  e: { versions: { '1.0.0': {}, '2.0.0-beta.1': {} }, tags: { latest: '1.0.0', next: '2.0.0-beta.1' } },
  // latest wants another Node.js: npm prefers 1.0.0
  f: { '1.0.0': {}, '1.1.0': { engines: { node: '>=99' } } },
  // a dependency's range: from the packument (deeper ranges are not tried on version documents)
  g: { '1.0.0': {}, '1.3.0': {} },
  // a dependency's exact version: from its version document
  h: { '2.0.0': {}, '2.1.0': {} },
}
const project = {
  dependencies: { a: '^1.0.0', b: '^1.0.0', c: '^1.0.0', d: '1.0.0', e: 'next', f: '^1.0.0' },
}
const nodeVersion = 'v20.18.0'

/** Resolves `project` with both sources; `served: false` is a registry without version documents. */
async function resolveWithDocuments(served: boolean) {
  const packuments = fakeSource(registry)
  const documents = fakeVersionDocuments(registry, served)
  const deps = { getPackument: packuments.getPackument, getVersion: documents.getVersion }
  const result = await createResolver(deps, { nodeVersion }).resolve(project)
  return { result, packumentCalls: packuments.calls, documentCalls: documents.calls }
}

describe('version documents', () => {
  it('give the same lockfile, and packuments are fetched only where they cannot settle the pick', async () => {
    const plain = await createResolver(fakeSource(registry), { nodeVersion }).resolve(project)
    const { result, packumentCalls, documentCalls } = await resolveWithDocuments(true)

    expect(result.lockfile).toEqual(plain.lockfile)
    expect(placed(result.lockfile)).toEqual({
      'node_modules/a': '1.2.0',
      'node_modules/b': '1.5.0',
      'node_modules/c': '1.0.0',
      'node_modules/d': '1.0.0',
      'node_modules/e': '2.0.0-beta.1',
      'node_modules/f': '1.0.0',
      'node_modules/g': '1.3.0',
      'node_modules/h': '2.0.0',
    })
    expect([...new Set(packumentCalls)].sort()).toEqual(['b', 'c', 'f', 'g'])
    expect([...new Set(documentCalls)].sort()).toEqual([
      'a latest',
      'b latest',
      'c latest',
      'd 1.0.0',
      'e next',
      'f latest',
      'h 2.0.0',
    ])
  })

  it('a registry without them: the packuments answer, and no more are asked for once one contradicts', async () => {
    const plain = await createResolver(fakeSource(registry), { nodeVersion }).resolve(project)
    const { result, packumentCalls, documentCalls } = await resolveWithDocuments(false)

    expect(result.lockfile).toEqual(plain.lockfile)
    // the project's dependencies are asked for together, before any answer; a's dependency h after
    expect(documentCalls).not.toContain('h 2.0.0')
    expect(packumentCalls).toContain('h')
  })

  it('when latest misses, its dependencies are asked for while the packument is on its way', async () => {
    // b's latest (2.0.0) misses ^1; 1.5.0 shares its dependency k, and does not have m
    const desc: Record<string, PackageDesc> = {
      b: {
        '1.5.0': { dependencies: { k: '^1.0.0' } },
        '2.0.0': { dependencies: { k: '^1.0.0', m: '^1.0.0' } },
      },
      k: { '1.0.0': {}, '1.1.0': {} },
      m: { '1.0.0': {} },
    }
    const packuments = fakeSource(desc, (name) => (name === 'b' ? 30 : 0))
    let askedBeforeB: string[] = []
    const deps = {
      async getPackument(name: string) {
        const packument = await packuments.getPackument(name)
        if (name === 'b') askedBeforeB = [...packuments.calls]
        return packument
      },
      getVersion: fakeVersionDocuments(desc).getVersion,
    }
    const result = await createResolver(deps, { nodeVersion }).resolve({ dependencies: { b: '^1.0.0' } })

    expect(askedBeforeB).toEqual(expect.arrayContaining(['b', 'k', 'm']))
    // what only latest needed is not placed: the tree is the packument's pick
    expect(placed(result.lockfile)).toEqual({ 'node_modules/b': '1.5.0', 'node_modules/k': '1.1.0' })
    const plain = await createResolver(fakeSource(desc), { nodeVersion }).resolve({
      dependencies: { b: '^1.0.0' },
    })
    expect(result.lockfile).toEqual(plain.lockfile)
  })

  describe('while a large packument arrives', () => {
    // app's dependencies, deeper than the project: ranges its packuments settle, unless one is large
    const desc: Record<string, PackageDesc> = {
      app: { '1.0.0': { dependencies: { big: '^1.0.0', small: '^1.0.0', old: '^1.0.0' } } },
      big: { '1.0.0': {}, '1.2.0': { dependencies: { leaf: '^1.0.0' } } },
      // latest (2.0.0) misses ^1: only the packument can pick 1.5.0
      old: { '1.0.0': {}, '1.5.0': {}, '2.0.0': {} },
      small: { '1.0.0': {} },
      leaf: { '1.0.0': {} },
    }
    const appProject = { dependencies: { app: '^1.0.0' } }

    /** Sources where the packuments of `large` are announced as 5 MB and held until released. */
    function heldLargePackuments(large: string[]) {
      const packuments = fakeSource(desc)
      const documents = fakeVersionDocuments(desc)
      let release!: () => void
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      const deps = {
        async getPackument(name: string, options?: { onSize?: (bytes: number) => void }) {
          options?.onSize?.(large.includes(name) ? 5 << 20 : 1000)
          if (large.includes(name)) await held
          return packuments.getPackument(name)
        },
        getVersion: documents.getVersion,
      }
      return { deps, documents, release }
    }

    it('a range `latest` meets is settled from its version document, without waiting', async () => {
      const { deps, documents, release } = heldLargePackuments(['big'])
      const resolving = createResolver(deps, { nodeVersion }).resolve(appProject)
      const outcome = await Promise.race([
        resolving.then(() => 'resolved'),
        new Promise((resolve) => setTimeout(() => resolve('waited for the packument'), 1000)),
      ])
      release()
      const result = await resolving
      expect(outcome).toBe('resolved')
      expect(documents.calls).toContain('big latest')
      // big's own dependency was found and placed without its packument
      expect(placed(result.lockfile)['node_modules/big']).toBe('1.2.0')
      expect(placed(result.lockfile)['node_modules/leaf']).toBe('1.0.0')
    })

    it('gives the lockfile the packuments give, asking only about the large ones', async () => {
      const { deps, documents, release } = heldLargePackuments(['big', 'old'])
      const resolving = createResolver(deps, { nodeVersion }).resolve(appProject)
      setTimeout(release, 50)
      const result = await resolving
      const plain = await createResolver(fakeSource(desc), { nodeVersion }).resolve(appProject)

      expect(result.lockfile).toEqual(plain.lockfile)
      expect(placed(result.lockfile)).toEqual({
        'node_modules/app': '1.0.0',
        'node_modules/big': '1.2.0',
        'node_modules/leaf': '1.0.0',
        'node_modules/old': '1.5.0',
        'node_modules/small': '1.0.0',
      })
      expect(documents.calls.filter((call) => !call.startsWith('app ')).sort()).toEqual([
        'big latest',
        'old latest',
      ])
    })
  })

  it('an exact version the registry lacks is still ETARGET, with the packument’s nearest versions', async () => {
    const documents = fakeVersionDocuments(registry)
    const error = await createResolver({
      getPackument: fakeSource(registry).getPackument,
      getVersion: documents.getVersion,
    })
      .resolve({ dependencies: { d: '2.0.0' } })
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(isToteError(error) && error.code).toBe('ETARGET')
    expect(isToteError(error) && error.details.nearest).toEqual(['1.0.0', '3.0.0'])
    expect(documents.calls).toEqual(['d 2.0.0'])
  })
})
