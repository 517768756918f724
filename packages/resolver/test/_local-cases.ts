import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createTarball, type RegistryPackages } from '@tote/test-registry'

// Projects with workspaces and `file:` folders. What npm wrote for each step of each case is
// recorded in npm-local-cases.json by derive-local-cases.ts; workspaces.test.ts holds tote to the
// same bytes.

/**
 * The files of a project, path → JSON (a package.json; `{registry}` in its strings is the test
 * registry's URL), a tarball (`{ $tarball: { 'package/package.json': '…' } }`, packed as npm packs),
 * or null to remove the file.
 */
export type ProjectFiles = Record<
  string,
  Record<string, unknown> | { $tarball: Record<string, string> } | null
>

export interface LocalCase {
  name: string
  about: string
  /** Changes to the project, one step after another; npm runs after each with the lockfile the step before left. */
  steps: ProjectFiles[]
}

/** Folders the cases write outside the project, beside it (`../ext`). The project itself is `project/`. */
export const PROJECT_FOLDER = 'project'

/** Every case's registry packages (one registry serves them all). */
export const PACKAGES: RegistryPackages = {
  shared: { versions: { '1.0.0': {}, '2.0.0': {} } },
  leaf: { versions: { '1.0.0': {}, '1.1.0': {} } },
  'uses-shared1': { versions: { '1.0.0': { dependencies: { shared: '^1.0.0' } } } },
  tool: { versions: { '1.0.0': { bin: { tool: 'cli.js' } } } },
  'peer-host': { versions: { '1.0.0': { peerDependencies: { shared: '^2.0.0' } } } },
  opt: { versions: { '1.0.0': {} } },
  wsb: { versions: { '2.0.0': { dependencies: { leaf: '1.0.0' } } } },
  inner: { versions: { '1.0.0': {}, '2.0.0': {} } },
  deep: { versions: { '1.0.0': {} } },
  bundler: {
    versions: {
      '1.0.0': {
        dependencies: { inner: '^1.0.0', shared: '^1.0.0' },
        bundleDependencies: ['inner'],
        files: {
          'index.js': 'module.exports = require("inner")\n',
          'node_modules/inner/package.json': JSON.stringify({
            name: 'inner',
            version: '1.5.0',
            license: 'MIT',
            dependencies: { deep: '^1.0.0' },
            bin: { inner: 'bin.js' },
          }),
          'node_modules/inner/bin.js': '#!/usr/bin/env node\n',
          'node_modules/inner/index.js': 'module.exports = { name: "inner", version: "1.5.0" }\n',
          'node_modules/deep/package.json': JSON.stringify({ name: 'deep', version: '1.0.0' }),
          'node_modules/deep/index.js': 'module.exports = { name: "deep", version: "1.0.0" }\n',
        },
      },
    },
  },
  'bundler-needs': {
    versions: {
      '1.0.0': {
        dependencies: { inner: '^1.0.0' },
        bundleDependencies: ['inner'],
        files: {
          'index.js': 'module.exports = require("inner")\n',
          'node_modules/inner/package.json': JSON.stringify({
            name: 'inner',
            version: '1.2.0',
            dependencies: { leaf: '^1.0.0', shared: '^2.0.0' },
          }),
          'node_modules/inner/index.js': 'module.exports = { name: "inner", version: "1.2.0" }\n',
        },
      },
    },
  },
}

export const CASES: LocalCase[] = [
  {
    name: 'workspaces',
    about:
      'three workspaces that depend on each other and share dependencies: a wants b ^1 (a workspace) and shared ^1; b wants c * and uses-shared1; c wants shared ^2 and leaf 1.0.0 against the root’s leaf ^1. c’s leaf is invalid once the root’s leaf is placed, so c is queued before the links are followed, and its shared@2 takes the root: a’s shared@1 nests',
    steps: [
      {
        'project/package.json': {
          name: 'mono',
          version: '1.0.0',
          workspaces: ['packages/*'],
          devDependencies: { leaf: '^1.0.0' },
        },
        'project/packages/a/package.json': {
          name: 'a',
          version: '1.0.0',
          dependencies: { b: '^1.0.0', shared: '^1.0.0' },
          devDependencies: { tool: '^1.0.0' },
        },
        'project/packages/b/package.json': {
          name: 'b',
          version: '1.2.0',
          license: 'MIT',
          dependencies: { c: '*', 'uses-shared1': '^1.0.0' },
        },
        'project/packages/c/package.json': {
          name: 'c',
          version: '0.1.0',
          dependencies: { shared: '^2.0.0', leaf: '1.0.0' },
        },
      },
      {
        // from the first lockfile: c drops leaf and takes opt, a new workspace d, the root wants b
        'project/package.json': {
          name: 'mono',
          version: '1.0.0',
          workspaces: ['packages/*'],
          dependencies: { b: '^1.0.0' },
          devDependencies: { leaf: '^1.0.0' },
        },
        'project/packages/c/package.json': {
          name: 'c',
          version: '0.1.0',
          dependencies: { shared: '^2.0.0', opt: '^1.0.0' },
        },
        'project/packages/d/package.json': {
          name: 'd',
          version: '3.0.0',
          dependencies: { a: '*', 'peer-host': '^1.0.0' },
        },
      },
    ],
  },
  {
    name: 'workspaces-fields',
    about:
      'the object form with two patterns; a scoped workspace whose folder has another name; package.json fields npm copies (license object, bin string, engines, install script, optional dependency also in dependencies, an empty devDependencies); a workspace with no version and a peer dependency (placed at the root); a folder without package.json and a hidden folder left out; the root depending on a workspace by name',
    steps: [
      {
        'project/package.json': {
          name: 'fields',
          workspaces: { packages: ['libs/*', 'tools/cli'] },
          dependencies: { core: '^1.0.0' },
          devDependencies: { tool: '1.0.0' },
        },
        'project/libs/util/package.json': {
          name: '@s/util',
          version: '2.0.0',
          license: { type: 'ISC', url: 'LICENSE' },
          dependencies: { leaf: '^1.0.0' },
        },
        'project/libs/core/package.json': {
          name: 'core',
          version: '1.0.0',
          bin: 'cli.js',
          engines: { node: '>=18' },
          scripts: { postinstall: 'node cli.js' },
          dependencies: { '@s/util': '^2.0.0', opt: '^1.0.0' },
          optionalDependencies: { opt: '^1.0.0' },
          devDependencies: {},
        },
        'project/libs/.hidden/package.json': { name: 'hidden', version: '1.0.0' },
        'project/libs/empty/README.json': { note: 'no package.json here' },
        'project/tools/cli/package.json': {
          name: 'cli-tool',
          peerDependencies: { shared: '^1.0.0' },
          dependencies: { core: '*' },
        },
      },
    ],
  },
  {
    name: 'workspace-range-missed',
    about:
      'a workspace wants another workspace’s name at a range its version misses: the registry’s version is installed under it, and the root’s link stays',
    steps: [
      {
        'project/package.json': { name: 'missed', version: '0.0.0', workspaces: ['w/*'] },
        'project/w/one/package.json': { name: 'one', version: '1.0.0', dependencies: { wsb: '^2.0.0' } },
        'project/w/wsb/package.json': { name: 'wsb', version: '1.0.0', dependencies: { leaf: '^1.1.0' } },
      },
    ],
  },
  {
    name: 'tarballs',
    about:
      'a tarball on disk (file:, with a bin and a dependency), and a tarball URL under another name: resolved as npm records them (file: path from the project, the URL), integrity the sha512 of the bytes, their dependencies from the registry',
    steps: [
      {
        'project/package.json': {
          name: 'tarballs',
          dependencies: {
            tb: 'file:vendor/tb-1.0.0.tgz',
            rem: '{registry}uses-shared1/-/uses-shared1-1.0.0.tgz',
          },
        },
        'project/vendor/tb-1.0.0.tgz': {
          $tarball: {
            'package/package.json': JSON.stringify({
              name: 'tb',
              version: '1.0.0',
              license: 'MIT',
              bin: { tb: 'cli.js' },
              scripts: { install: 'node cli.js' },
              dependencies: { leaf: '^1.0.0' },
            }),
            'package/cli.js': '#!/usr/bin/env node\n',
          },
        },
      },
    ],
  },
  {
    name: 'bundled',
    about:
      'a package that bundles a dependency (and what that one needs): the bundled packages come from its tarball (inBundle), never from the registry, even where the registry has the name; the bundler’s other dependency is resolved as usual',
    steps: [
      {
        'project/package.json': { name: 'bundles', dependencies: { bundler: '^1.0.0', inner: '^2.0.0' } },
      },
    ],
  },
  {
    name: 'bundled-needs',
    about:
      'a bundled package that needs packages its bundler’s tarball does not ship: they are fetched from the registry and placed as npm places them (not inBundle), one where the root has another version',
    steps: [
      {
        'project/package.json': {
          name: 'bundle-needs',
          dependencies: { 'bundler-needs': '1.0.0', shared: '^1.0.0' },
        },
      },
    ],
  },
  {
    name: 'project-bundle',
    about:
      'the project’s own bundleDependencies: recorded in its entry, and its bundled packages (and what they need) marked inBundle, though they come from the registry',
    steps: [
      {
        'project/package.json': {
          name: 'own-bundle',
          dependencies: { shared: '^1.0.0', 'uses-shared1': '1.0.0' },
          bundleDependencies: ['uses-shared1'],
        },
      },
    ],
  },
  {
    name: 'file-folders',
    about:
      'file: folders: one inside the project (linked; its dependencies, devDependencies too, are resolved and nest where they conflict), one outside it (linked; npm leaves its dependencies alone)',
    steps: [
      {
        'project/package.json': {
          name: 'p',
          dependencies: { loc: 'file:./local/loc', ext: 'file:../ext', shared: '^1.0.0' },
        },
        'project/local/loc/package.json': {
          name: 'loc',
          version: '0.0.1',
          dependencies: { shared: '^2.0.0' },
          devDependencies: { tool: '1.0.0' },
        },
        'ext/package.json': { name: 'ext', version: '2.0.0', dependencies: { leaf: '^1.0.0' } },
      },
    ],
  },
]

/** Writes a step's files under `base` (null removes one); `registry` replaces `{registry}`. */
export function writeFiles(base: string, files: ProjectFiles, registry = '{registry}'): void {
  for (const [path, content] of Object.entries(files)) {
    const file = join(base, path)
    if (content === null) rmSync(file, { force: true })
    else {
      mkdirSync(dirname(file), { recursive: true })
      if ('$tarball' in content) {
        const entries = Object.entries(content.$tarball as Record<string, string>)
        writeFileSync(file, createTarball(entries.map(([entry, text]) => ({ path: entry, content: text }))))
      } else writeFileSync(file, `${JSON.stringify(content, null, 2).split('{registry}').join(registry)}\n`)
    }
  }
}
