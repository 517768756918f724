import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Lockfile } from '@tote/types'
import { expect, it } from 'vitest'
import {
  buildOrder,
  buildPackages,
  createScriptRunner,
  installScriptsOf,
  lockfileGraph,
  readManifest,
  resolvePolicy,
  scriptBaseEnv,
  verdictFor,
} from '../src/index.js'

it('runs the README example', async () => {
  const projectDir = mkdtempSync(join(tmpdir(), 'tote-scripts-readme-'))
  const registry = 'http://127.0.0.1:4873/'
  for (const [name, scripts] of [
    ['leaf', { postinstall: 'echo built > built.txt' }],
    ['other', { postinstall: 'exit 1' }],
  ] as const) {
    mkdirSync(join(projectDir, 'node_modules', name), { recursive: true })
    writeFileSync(
      join(projectDir, 'node_modules', name, 'package.json'),
      JSON.stringify({ name, version: '1.0.0', scripts }),
    )
  }
  const lockfile: Lockfile = {
    lockfileVersion: 3,
    packages: {
      '': { dependencies: { leaf: '1.0.0', other: '1.0.0' } },
      'node_modules/leaf': {
        version: '1.0.0',
        resolved: `${registry}leaf/-/leaf-1.0.0.tgz`,
        hasInstallScript: true,
      },
      'node_modules/other': {
        version: '1.0.0',
        resolved: `${registry}other/-/other-1.0.0.tgz`,
        hasInstallScript: true,
      },
    },
  }

  // README example start
  // The policy of a project: its package.json allowScripts (and bun's trustedDependencies).
  const policy = resolvePolicy({ manifest: { allowScripts: { leaf: true, 'other@1.0.0': false } } })

  // What each installed package's install scripts are, and whether they may run.
  const graph = lockfileGraph(lockfile)
  const leaf = graph.get('node_modules/leaf')!
  const leafDir = join(projectDir, 'node_modules/leaf')
  const manifest = readManifest(leafDir)!
  const scripts = installScriptsOf(leafDir, manifest, { registry: leaf.policy.registry })
  expect(scripts).toEqual({ postinstall: 'echo built > built.txt' })
  expect(verdictFor(leaf.policy, policy)).toBe('run')
  expect(verdictFor(graph.get('node_modules/other')!.policy, policy)).toBe('denied')

  // Run them: each package after its dependencies' scripts, output kept in a log per script.
  const run = createScriptRunner({
    env: scriptBaseEnv({
      processEnv: process.env,
      configEnv: {}, // @tote/config's exportedEnv(): npm_config_*, INIT_CWD…
      execPath: '/path/to/tote.js',
      userAgent: 'tote/0.1.0 node/v20.18.0 linux x64 workspaces/false',
      command: 'install',
      nodeGyp: undefined,
    }),
  })
  const result = await buildPackages(
    [
      {
        path: 'node_modules/leaf',
        dir: leafDir,
        manifest,
        scripts: [{ event: 'postinstall', script: scripts.postinstall! }],
        optional: false,
        after: buildOrder(graph, ['node_modules/leaf']).get('node_modules/leaf')!,
        label: 'leaf@1.0.0',
      },
    ],
    { run, concurrency: 4, stdio: 'pipe', logDir: join(projectDir, 'logs') },
  )
  expect(result.built).toEqual(['node_modules/leaf'])
  expect(readFileSync(join(leafDir, 'built.txt'), 'utf8')).toBe('built\n')
  // README example end
})

it('keeps the README example identical to the code above', () => {
  const source = readFileSync(import.meta.filename, 'utf8')
  const fromTest = source
    .split('// README example start\n')[1]!
    .split('  // README example end')[0]!
    .replace(/^ {2}/gm, '')
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8')
  const fromReadme = readme.split('```ts\n')[1]!.split('```')[0]!
  expect(fromReadme.endsWith(fromTest)).toBe(true)
})
