// A real-sized package set for the crash-safety test, and a project's two states: before and after
// an upgrade. Built from a fixed seed, so that every run (and every replay of a kill seed) installs
// the same trees.
import type { FileSpec, RegistryPackages, VersionSpec } from '@tote/test-registry'

/** mulberry32: a small seeded generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface CrashFixture {
  packages: RegistryPackages
  /** package.json before the upgrade. */
  before: { name: string; version: string; dependencies: Record<string, string> }
  /** package.json after it: many ranges moved on, some not. */
  after: { name: string; version: string; dependencies: Record<string, string> }
}

const LEAVES = 120
const MIDS = 28
const leaf = (i: number) => `leaf-${String(i).padStart(3, '0')}`
const mid = (i: number) => `mid-${String(i).padStart(2, '0')}`

/**
 * About 230 names, ~500 versions; installed, a few hundred folders with nested node_modules (a
 * package wanted at ^1 under one parent and ^2 under another), bins at both levels, scoped
 * packages, executable files that are not bins, and files of a few bytes to ~30 KB.
 */
export function crashFixture(): CrashFixture {
  const random = seededRandom(14)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const text = (label: string, size: number) => {
    const line = `// ${label}: ${'lorem ipsum dolor sit amet '.repeat(3)}\n`
    return line.repeat(Math.ceil(size / line.length)).slice(0, size)
  }

  function files(name: string, version: string): Record<string, FileSpec> {
    const id = `${name}@${version}`
    const result: Record<string, FileSpec> = {
      'index.js': `module.exports = ${JSON.stringify(id)}\n`,
      'README.md': `# ${name}\n\nVersion ${version}.\n`,
    }
    const count = 1 + Math.floor(random() * 3)
    for (let k = 0; k < count; k++) result[`lib/part-${k}.js`] = text(id, 200 + Math.floor(random() * 4000))
    if (random() < 0.1) result['data/table.json'] = JSON.stringify({ id, rows: text(id, 30_000) })
    if (random() < 0.08) result['scripts/run.sh'] = { content: `#!/bin/sh\necho ${id}\n`, mode: 0o755 }
    return result
  }

  function deps(candidates: readonly string[], count: number): Record<string, string> {
    const result: Record<string, string> = {}
    for (let k = 0; k < count && candidates.length > 0; k++) {
      result[pick(candidates)] = pick(['^1.0.0', '^1.0.0', '^2.0.0', '~1.0.0'])
    }
    return result
  }

  const packages: RegistryPackages = {}
  const version = (name: string, v: string, spec: VersionSpec = {}): VersionSpec => ({
    files: files(name, v),
    ...spec,
  })

  // Leaves depend only on leaves further on: no cycles, chains a few levels deep.
  for (let i = 0; i < LEAVES; i++) {
    const name = leaf(i)
    const later = Array.from({ length: Math.min(30, LEAVES - i - 1) }, (_, k) => leaf(i + 1 + k))
    const bin = i % 12 === 0 ? { bin: { [name]: 'bin/cli.js' } } : {}
    packages[name] = {
      versions: Object.fromEntries(
        ['1.0.0', '1.1.0', '2.0.0'].map((v) => [
          v,
          version(name, v, { dependencies: deps(later, Math.floor(random() * 3)), ...bin }),
        ]),
      ),
    }
  }
  const allLeaves = Array.from({ length: LEAVES }, (_, i) => leaf(i))
  for (let i = 0; i < MIDS; i++) {
    const name = mid(i)
    const bin = i % 8 === 0 ? { bin: { [name]: 'bin/cli.js' } } : {}
    packages[name] = {
      versions: Object.fromEntries(
        ['1.0.0', '2.0.0'].map((v) => [
          v,
          version(name, v, { dependencies: deps(allLeaves, 3 + Math.floor(random() * 4)), ...bin }),
        ]),
      ),
    }
  }

  // A parent replaced by the upgrade whose nested child stays as it was: `child` is wanted at ^2 at
  // the top, so both versions of `parent` get their ^1 copy nested, at the same path, same version.
  for (const scope of ['', '@crash/']) {
    const parent = `${scope}parent`
    const child = `${scope}child`
    packages[child] = {
      versions: { '1.0.0': version(child, '1.0.0'), '2.0.0': version(child, '2.0.0') },
    }
    packages[parent] = {
      versions: Object.fromEntries(
        ['1.0.0', '2.0.0'].map((v) => [
          v,
          version(parent, v, {
            dependencies: { [child]: '^1.0.0', [leaf(5)]: '^1.0.0' },
            bin: { [`${scope.replace(/[@/]/g, '')}parent-cli`]: 'bin/cli.js' },
          }),
        ]),
      ),
    }
  }
  packages['@crash/core'] = {
    versions: Object.fromEntries(
      ['1.0.0', '1.2.0', '2.0.0'].map((v) => [
        v,
        version('@crash/core', v, { dependencies: deps(allLeaves, 4), bin: 'bin/core.js' }),
      ]),
    ),
  }

  const before: Record<string, string> = {
    parent: '^1.0.0',
    child: '^2.0.0',
    '@crash/parent': '^1.0.0',
    '@crash/child': '^2.0.0',
    '@crash/core': '~1.0.0',
  }
  for (let i = 0; i < MIDS; i++) before[mid(i)] = '^1.0.0'
  for (let i = 0; i < LEAVES; i += 3) before[leaf(i)] = pick(['~1.0.0', '^2.0.0'])

  const after: Record<string, string> = { ...before, parent: '^2.0.0', '@crash/parent': '^2.0.0' }
  after['@crash/core'] = '^1.2.0'
  for (let i = 0; i < MIDS; i += 2) after[mid(i)] = '^2.0.0'
  for (let i = 0; i < LEAVES; i += 3) if (after[leaf(i)] === '~1.0.0') after[leaf(i)] = '^1.1.0'
  delete after[leaf(3)]
  after[leaf(4)] = '^2.0.0'

  const manifest = (dependencies: Record<string, string>) => ({
    name: 'crash-project',
    version: '1.0.0',
    dependencies: Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => (a < b ? -1 : 1))),
  })
  return { packages, before: manifest(before), after: manifest(after) }
}
