import type { RegistryPackages } from '@tote/test-registry'

// Peer conflicts that npm either refuses (ERESOLVE) or accepts with a warning, depending on where the
// conflict is and on --force / --strict-peer-deps / --legacy-peer-deps. What npm did with each is
// recorded in npm-peer-conflicts.json by derive-peer-conflicts.ts; peer-conflicts.test.ts holds
// tote to the same.

export interface PeerConflictCase {
  name: string
  /** Why npm decides as it does. */
  about: string
  packages: RegistryPackages
  /** The project's dependencies (its package.json is `{ name: 'project', version: '1.0.0', dependencies }`). */
  dependencies: Record<string, string>
  devDependencies?: Record<string, string>
}

/** npm's flags for each mode of a case. */
export const MODES = {
  default: [],
  force: ['--force'],
  strict: ['--strict-peer-deps'],
  legacy: ['--legacy-peer-deps'],
} as const satisfies Record<string, readonly string[]>

export type Mode = keyof typeof MODES

export function projectOf(c: PeerConflictCase): {
  name: string
  version: string
  dependencies: Record<string, string>
  devDependencies?: Record<string, string>
} {
  const { dependencies, devDependencies } = c
  return { name: 'project', version: '1.0.0', dependencies, ...(devDependencies ? { devDependencies } : {}) }
}

export const CASES: PeerConflictCase[] = [
  {
    name: 'project-peer-vs-own-dependency',
    about:
      'the project wants host@2 and plugin@1, whose peer wants host@^1: the peer set of a project dependency conflicts (build-ideal-tree, loading the peer set)',
    packages: {
      plugin: { versions: { '1.0.0': { peerDependencies: { host: '^1' } } } },
      host: { versions: { '1.0.0': {}, '2.0.0': {} } },
    },
    dependencies: { host: '^2', plugin: '^1' },
  },
  {
    name: 'project-dev-types',
    about:
      'ant-design’s conflict (why its fixture sets legacy-peer-deps): the project pins @types/react 19.2.18 and wants @types/react-dom ^19.2.3, whose newest wants @types/react ^19.3.0',
    packages: {
      '@types/react': { versions: { '19.2.18': {}, '19.3.0': {} } },
      '@types/react-dom': {
        versions: {
          '19.2.3': { peerDependencies: { '@types/react': '^19.2.0' } },
          '19.3.0': { peerDependencies: { '@types/react': '^19.3.0' } },
        },
      },
    },
    dependencies: {},
    devDependencies: { '@types/react': '19.2.18', '@types/react-dom': '^19.2.3' },
  },
  {
    name: 'project-two-peer-sets',
    about:
      'two project dependencies want different majors of one peer: the second cannot be placed anywhere (place-dep, no target)',
    packages: {
      a: { versions: { '1.0.0': { peerDependencies: { x: '^1' } } } },
      b: { versions: { '1.0.0': { peerDependencies: { x: '^2' } } } },
      x: { versions: { '1.0.0': {}, '2.0.0': {} } },
    },
    dependencies: { a: '^1', b: '^1' },
  },
  {
    name: 'project-peer-of-peer',
    about:
      'a project dependency peers on x@^1 and y, and y peers on x@^2: the set conflicts within itself (x is loaded already when y asks for it)',
    packages: {
      a: { versions: { '1.0.0': { peerDependencies: { x: '^1', y: '^1' } } } },
      y: { versions: { '1.0.0': { peerDependencies: { x: '^2' } } } },
      x: { versions: { '1.0.0': {}, '2.0.0': {} } },
    },
    dependencies: { a: '^1' },
  },
  {
    name: 'deep-peer-vs-own-dependency',
    about:
      'the first case one level down: d depends on host@2 and plugin@1 (peer host@^1); not the project’s own conflict',
    packages: {
      d: { versions: { '1.0.0': { dependencies: { host: '^2', plugin: '^1' } } } },
      plugin: { versions: { '1.0.0': { peerDependencies: { host: '^1' } } } },
      host: { versions: { '1.0.0': {}, '2.0.0': {} } },
    },
    dependencies: { d: '^1' },
  },
  {
    name: 'deep-peer-of-peer',
    about: 'the peer-of-peer conflict one level down: d depends on a',
    packages: {
      d: { versions: { '1.0.0': { dependencies: { a: '^1' } } } },
      a: { versions: { '1.0.0': { peerDependencies: { x: '^1', y: '^1' } } } },
      y: { versions: { '1.0.0': { peerDependencies: { x: '^2' } } } },
      x: { versions: { '1.0.0': {}, '2.0.0': {} } },
    },
    dependencies: { d: '^1' },
  },
  {
    name: 'deep-two-peer-sets',
    about:
      'd peers on x@* and depends on a (peer x@^1) and b (peer x@^2): their peers must sit beside d, where only one x fits (place-dep, not the project’s)',
    packages: {
      d: { versions: { '1.0.0': { dependencies: { a: '^1', b: '^1' }, peerDependencies: { x: '*' } } } },
      a: { versions: { '1.0.0': { peerDependencies: { x: '^1' } } } },
      b: { versions: { '1.0.0': { peerDependencies: { x: '^2' } } } },
      x: { versions: { '1.0.0': {}, '2.0.0': {} } },
    },
    dependencies: { d: '^1' },
  },
  {
    name: 'project-optional-peer-conflict',
    about:
      'the project wants x@1 and a, whose optional peer y would want x@^2: y is not required, so the conflict does not count',
    packages: {
      a: {
        versions: {
          '1.0.0': {
            peerDependencies: { y: '^1' },
            peerDependenciesMeta: { y: { optional: true } },
          },
        },
      },
      y: { versions: { '1.0.0': { peerDependencies: { x: '^2' } } } },
      x: { versions: { '1.0.0': {}, '2.0.0': {} } },
    },
    dependencies: { a: '^1', x: '^1' },
  },
  {
    name: 'nested-dependant',
    about:
      'no conflict: a dependency’s plugin wants host@^1 while the project has host@2, so npm nests plugin and host@1 under it',
    packages: {
      d: { versions: { '1.0.0': { dependencies: { plugin: '^1' } } } },
      plugin: { versions: { '1.0.0': { peerDependencies: { host: '^1' } } } },
      host: { versions: { '1.0.0': {}, '2.0.0': {} } },
    },
    dependencies: { d: '^1', host: '^2' },
  },
]
