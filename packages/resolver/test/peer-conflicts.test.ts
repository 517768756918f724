import { readFileSync } from 'node:fs'
import { stringifyLockfile } from '@tote/lockfile'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { isToteError, type Packument, ToteError } from '@tote/types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createResolver, type ResolverOptions } from '../src/index.js'
import { CASES, MODES, type Mode, projectOf } from './_peer-conflict-cases.js'

// npm is the oracle: npm-peer-conflicts.json holds what npm 11.19.1 did with each case of
// _peer-conflict-cases.ts, `npm install --package-lock-only --ignore-scripts --no-audit --no-fund`
// plus --force, --strict-peer-deps or --legacy-peer-deps, against @tote/test-registry (re-derive it
// with `node --import tsx test/derive-peer-conflicts.ts`). Where npm stopped with ERESOLVE, tote must
// throw ERESOLVE; where npm wrote a lockfile, tote must write the same bytes.

interface NpmOutcome {
  exit: number
  timedOut?: boolean
  eresolve: boolean
  report: string[]
  lockfile?: string
}

const recorded = JSON.parse(readFileSync(new URL('./npm-peer-conflicts.json', import.meta.url), 'utf8')) as {
  npm: string
  results: Record<string, Record<Mode, NpmOutcome>>
}

const optionsOf: Record<Mode, ResolverOptions> = {
  default: {},
  force: { force: true },
  strict: { strictPeerDeps: true },
  legacy: { legacyPeerDeps: true },
}

const registries = new Map<string, TestRegistry>()

beforeAll(async () => {
  for (const c of CASES) registries.set(c.name, await createTestRegistry({ packages: c.packages }))
})

afterAll(async () => {
  await Promise.all([...registries.values()].map((registry) => registry.close()))
})

function sourceOf(registry: TestRegistry) {
  return {
    async getPackument(name: string): Promise<Packument> {
      const response = await fetch(registry.url + name.replace('/', '%2f'))
      if (response.status === 404) throw new ToteError('E404', `${name} is not in the registry`)
      if (!response.ok) throw new Error(`GET ${name}: ${response.status}`)
      return (await response.json()) as Packument
    },
  }
}

/** tote's lockfile text, or the ToteError it threw. */
async function toteOutcome(
  caseName: string,
  options: ResolverOptions,
): Promise<{ lockfile?: string; error?: ToteError }> {
  const c = CASES.find((each) => each.name === caseName)!
  const registry = registries.get(caseName)!
  try {
    const { lockfile } = await createResolver(sourceOf(registry), options).resolve(projectOf(c))
    return { lockfile: stringifyLockfile(lockfile) }
  } catch (error) {
    if (isToteError(error)) return { error }
    throw error
  }
}

it('the record covers every case and mode', () => {
  expect(Object.keys(recorded.results).sort()).toEqual(CASES.map((c) => c.name).sort())
  for (const byMode of Object.values(recorded.results))
    expect(Object.keys(byMode).sort()).toEqual(Object.keys(MODES).sort())
})

describe.each(CASES.map((c) => c.name))('%s, as npm', (caseName) => {
  for (const mode of Object.keys(MODES) as Mode[]) {
    // both ways of weighing optional peers: npm's (resolver default) and tote's CLI default
    for (const skipAbsentOptionalPeers of [false, true]) {
      const npm = recorded.results[caseName]![mode]
      const what = npm.eresolve ? 'ERESOLVE' : npm.timedOut ? 'npm never finishes' : 'npm’s lockfile'
      it(`${mode}${skipAbsentOptionalPeers ? ', absent optional peers skipped' : ''}: ${what}`, async () => {
        const registry = registries.get(caseName)!
        const tote = await toteOutcome(caseName, { ...optionsOf[mode], skipAbsentOptionalPeers })
        if (npm.eresolve) {
          expect(tote.error?.code).toBe('ERESOLVE')
        } else if (npm.timedOut) {
          // npm loops here (it never writes a lockfile); tote finishes, warning about the peer
          expect(tote.error).toBeUndefined()
        } else {
          expect(npm.exit).toBe(0)
          expect(tote.error).toBeUndefined()
          expect(tote.lockfile).toBe(npm.lockfile!.split('{registry}').join(registry.url))
        }
      })
    }
  }
})

describe('the ERESOLVE error', () => {
  it('names the package, what the tree has and who wants it, and who wants another version', async () => {
    const { error } = await toteOutcome('project-two-peer-sets', {})
    expect(error?.message).toBe(
      [
        'Conflicting peer dependency: x',
        '  found:  x@1.0.0, for root → a@1.0.0 → peer x@^1',
        '  wanted: root → b@1.0.0 → peer x@^2',
      ].join('\n'),
    )
    expect(error?.hint).toBe(
      'Fix the versions in package.json, or run with --legacy-peer-deps (ignore peers) or --force (accept a broken tree), as with npm.',
    )
    expect(error?.details).toMatchObject({
      name: 'x',
      found: { name: 'x', version: '1.0.0', chain: ['root', 'a@1.0.0', 'peer x@^1'] },
      wanted: { spec: '^2', chain: ['root', 'b@1.0.0', 'peer x@^2'] },
      force: false,
      strictPeerDeps: false,
    })
  })

  it('for a peer set that conflicts with the project’s own dependency', async () => {
    const { error } = await toteOutcome('project-peer-vs-own-dependency', {})
    expect(error?.message).toBe(
      [
        'Conflicting peer dependency: host',
        '  found:  host@2.0.0, for root → host@^2',
        '  wanted: root → plugin@1.0.0 → peer host@^1',
      ].join('\n'),
    )
  })

  it('for ant-design’s conflict (devDependencies @types/react and @types/react-dom)', async () => {
    const { error } = await toteOutcome('project-dev-types', {})
    expect(error?.message).toBe(
      [
        'Conflicting peer dependency: @types/react',
        '  found:  @types/react@19.2.18, for root → @types/react@19.2.18',
        '  wanted: root → @types/react-dom@19.3.0 → peer @types/react@^19.3.0',
      ].join('\n'),
    )
  })

  it('for a peer of a peer, with --strict-peer-deps deeper down', async () => {
    const { error } = await toteOutcome('deep-peer-of-peer', { strictPeerDeps: true })
    expect(error?.message).toBe(
      [
        'Conflicting peer dependency: x',
        '  found:  x@1.0.0, for root → d@1.0.0 → a@1.0.0 → peer x@^1',
        '  wanted: root → d@1.0.0 → a@1.0.0 → peer y@1.0.0 → peer x@^2',
      ].join('\n'),
    )
    expect(error?.hint).toContain('--no-strict-peer-deps')
  })
})

describe('where npm goes on', () => {
  async function warningsOf(caseName: string, options: ResolverOptions = {}) {
    const c = CASES.find((each) => each.name === caseName)!
    const { warnings } = await createResolver(sourceOf(registries.get(caseName)!), options).resolve(
      projectOf(c),
    )
    return warnings
  }

  it('tote warns about the peer the tree does not meet, as npm warns “overriding peer dependency”', async () => {
    expect(recorded.results['deep-two-peer-sets']!.default.report).toContain(
      'ERESOLVE overriding peer dependency',
    )
    expect(await warningsOf('deep-two-peer-sets')).toEqual([
      expect.objectContaining({ code: 'EPEERCONFLICT', chain: ['root', 'd@1.0.0', 'b@1.0.0', 'x@^2'] }),
    ])
  })

  it('a conflict npm lets be but never finishes with (it keeps pruning and placing a peer set) ends with a warning', async () => {
    for (const options of [{}, { force: true }]) {
      expect(await warningsOf('deep-peer-of-peer', options)).toEqual([
        expect.objectContaining({
          code: 'EPEERCONFLICT',
          message: 'y@1.0.0 wants peer x@^2, but x@1.0.0 is installed instead',
        }),
      ])
    }
  })
})
