import { describe, expect, it } from 'vitest'
import { createResolver, type ResolverEvent, type ResolverOptions } from '../src/index.js'
import { fakeSource, type PackageDesc, placed } from './_registry.js'

// A test runner whose optional peer (a browser mode) peer-depends on a driver that has dependencies of
// its own: npm weighs the browser mode and the driver beside the runner, but installs neither.
const runnerDesc: Record<string, PackageDesc> = {
  runner: {
    '1.0.0': {
      dependencies: { util: '^1' },
      peerDependencies: { browser: '^1' },
      peerDependenciesMeta: { browser: { optional: true } },
    },
  },
  util: { '1.0.0': {} },
  browser: {
    '1.0.0': { dependencies: { 'browser-util': '^1' }, peerDependencies: { driver: '^2', runner: '^1' } },
  },
  'browser-util': { '1.0.0': {} },
  driver: { '2.0.0': { dependencies: { archiver: '^1' } } },
  archiver: { '1.0.0': { dependencies: { 'zip-stream': '^1' } } },
  'zip-stream': { '1.0.0': {} },
}

async function resolveBoth(desc: Record<string, PackageDesc>, dependencies: Record<string, string>) {
  const run = async (options: ResolverOptions) => {
    const source = fakeSource(desc)
    const events: ResolverEvent[] = []
    const result = await createResolver(source, { ...options, onEvent: (e) => events.push(e) }).resolve({
      dependencies,
    })
    const picked = events.flatMap((e) => (e.type === 'version-picked' ? [e.name] : []))
    return { ...result, fetched: [...source.calls].sort(), picked: [...new Set(picked)].sort() }
  }
  return { npm: await run({}), skip: await run({ skipAbsentOptionalPeers: true }) }
}

describe('optional peers', () => {
  it('fetches an absent optional peer and its peers (npm weighs them), never their dependencies', async () => {
    const { npm } = await resolveBoth(runnerDesc, { runner: '^1' })
    expect(placed(npm.lockfile)).toEqual({ 'node_modules/runner': '1.0.0', 'node_modules/util': '1.0.0' })
    expect(npm.fetched).toEqual(['browser', 'driver', 'runner', 'util'])
    expect(npm.stats.packuments).toBe(4)
    // only what may be installed is announced for tarball prefetch
    expect(npm.picked).toEqual(['runner', 'util'])
  })

  it('with skipAbsentOptionalPeers, an optional peer the tree neither has nor wants is not fetched', async () => {
    const { npm, skip } = await resolveBoth(runnerDesc, { runner: '^1' })
    expect(skip.fetched).toEqual(['runner', 'util'])
    expect(skip.stats.packuments).toBe(2)
    expect(skip.lockfile).toEqual(npm.lockfile)
  })

  it('with skipAbsentOptionalPeers, an optional peer that is in the tree is still weighed', async () => {
    // the project has host@1; tool wants host@^2 as an optional peer, so tool cannot sit beside host@1
    const desc: Record<string, PackageDesc> = {
      a: { '1.0.0': { dependencies: { tool: '^1' } } },
      tool: {
        '1.0.0': { peerDependencies: { host: '^2' }, peerDependenciesMeta: { host: { optional: true } } },
      },
      host: { '1.0.0': {}, '2.0.0': {} },
    }
    const { npm, skip } = await resolveBoth(desc, { a: '^1', host: '^1' })
    expect(placed(skip.lockfile)).toEqual({
      'node_modules/a': '1.0.0',
      'node_modules/a/node_modules/host': '2.0.0',
      'node_modules/a/node_modules/tool': '1.0.0',
      'node_modules/host': '1.0.0',
    })
    expect(skip.lockfile).toEqual(npm.lockfile)
    expect(skip.warnings).toEqual(npm.warnings)
  })

  it('with skipAbsentOptionalPeers, an optional peer brought in later is checked then', async () => {
    // tool is placed first with its optional peer absent; b's dependency then brings host@1 in,
    // which tool's range rejects: host@1 nests under c and tool gets host@2 beside it, as with npm
    const desc: Record<string, PackageDesc> = {
      tool: {
        '1.0.0': { peerDependencies: { host: '^2' }, peerDependenciesMeta: { host: { optional: true } } },
      },
      b: { '1.0.0': { dependencies: { c: '^1' } } },
      c: { '1.0.0': { dependencies: { host: '^1' } } },
      host: { '1.0.0': {}, '2.0.0': {} },
    }
    const { npm, skip } = await resolveBoth(desc, { tool: '^1', b: '^1' })
    expect(skip.fetched).toContain('host')
    expect(skip.lockfile).toEqual(npm.lockfile)
    expect(skip.warnings).toEqual(npm.warnings)
    // host@1 cannot sit at the top beside tool's peer range, so it nests under c
    expect(placed(skip.lockfile)).toEqual({
      'node_modules/b': '1.0.0',
      'node_modules/c': '1.0.0',
      'node_modules/c/node_modules/host': '1.0.0',
      'node_modules/host': '2.0.0',
      'node_modules/tool': '1.0.0',
    })
  })

  it('with skipAbsentOptionalPeers, a peer set member that needs a skipped peer gets the version npm loads', async () => {
    // npm loads pal@^1 (tool's optional peer, first by name) and ring's pal@* is then met by it
    const desc: Record<string, PackageDesc> = {
      tool: {
        '1.0.0': {
          peerDependencies: { pal: '^1', ring: '^1' },
          peerDependenciesMeta: { pal: { optional: true } },
        },
      },
      ring: { '1.0.0': { peerDependencies: { pal: '*' } } },
      pal: { '1.0.0': {}, '2.0.0': {} },
    }
    const { npm, skip } = await resolveBoth(desc, { tool: '^1' })
    expect(placed(npm.lockfile)).toEqual({
      'node_modules/pal': '1.0.0',
      'node_modules/ring': '1.0.0',
      'node_modules/tool': '1.0.0',
    })
    expect(skip.lockfile).toEqual(npm.lockfile)
  })

  it('with skipAbsentOptionalPeers, differs from npm where an absent optional peer’s own peers would not fit', async () => {
    // arrow's optional peer types-dom (absent) wants types@^19, the tree has types@18: npm finds that
    // conflict at the top and nests arrow; skipping types-dom, tote hoists it (see the README)
    const desc: Record<string, PackageDesc> = {
      popper: { '1.0.0': { dependencies: { arrow: '^1' } } },
      arrow: {
        '1.0.0': {
          peerDependencies: { types: '*', 'types-dom': '*' },
          peerDependenciesMeta: { types: { optional: true }, 'types-dom': { optional: true } },
        },
      },
      types: { '18.0.0': {}, '19.0.0': {} },
      'types-dom': { '19.0.0': { peerDependencies: { types: '^19' } } },
    }
    const { npm, skip } = await resolveBoth(desc, { popper: '^1', types: '^18' })
    expect(placed(npm.lockfile)).toEqual({
      'node_modules/popper': '1.0.0',
      'node_modules/popper/node_modules/arrow': '1.0.0',
      'node_modules/types': '18.0.0',
    })
    expect(placed(skip.lockfile)).toEqual({
      'node_modules/arrow': '1.0.0',
      'node_modules/popper': '1.0.0',
      'node_modules/types': '18.0.0',
    })
    expect(skip.fetched).not.toContain('types-dom')
  })

  it('gives the same lockfile whatever order packuments arrive in, in both modes', async () => {
    const desc: Record<string, PackageDesc> = {
      ...runnerDesc,
      app: { '1.0.0': { dependencies: { runner: '^1', plugin: '^1' } } },
      plugin: {
        '1.0.0': {
          dependencies: { driver: '^2' },
          peerDependencies: { browser: '^1', host: '^1' },
          peerDependenciesMeta: { browser: { optional: true }, host: { optional: true } },
        },
      },
      host: { '1.0.0': {}, '2.0.0': {} },
      other: { '1.0.0': { dependencies: { host: '^2' } } },
    }
    const project = { dependencies: { app: '^1', other: '^1' } }
    for (const skipAbsentOptionalPeers of [false, true]) {
      const results = new Set<string>()
      for (let run = 0; run < 10; run++) {
        const source = fakeSource(desc, () => Math.floor(Math.random() * 6))
        const { lockfile } = await createResolver(source, { skipAbsentOptionalPeers }).resolve(project)
        results.add(JSON.stringify(lockfile))
      }
      expect(results.size).toBe(1)
      expect(Object.keys(JSON.parse([...results][0]!).packages)).toContain('node_modules/driver')
    }
  })
})
