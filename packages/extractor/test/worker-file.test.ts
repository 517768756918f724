// The worker file must be found from the built package and from a bundle, not only from sources.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTarball } from '@tote/test-registry'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { tempRoot, walk } from './_helpers.js'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const tinypoolDir = dirname(dirname(realpathSync(require.resolve('tinypool'))))

/** Runs `script` in a plain Node.js process (no vitest, no `source` condition) and returns its JSON output. */
function runNode(script: string, args: string[]): { files: { path: string }[]; worker: string } {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  const output = execFileSync(process.execPath, [script, ...args], { env, encoding: 'utf8' })
  return JSON.parse(output)
}

const runner = `
import { readFileSync } from 'node:fs'
import { createExtractor, extractorWorkerFile } from '@tote/extractor'
const extractor = createExtractor({ workers: 1 })
const { files } = await extractor.extract(new Uint8Array(readFileSync(process.argv[2])), process.argv[3])
await extractor.close()
console.log(JSON.stringify({ files, worker: extractorWorkerFile().href }))
`

function writeTarball(root: string): string {
  const file = join(root, 'demo.tgz')
  writeFileSync(
    file,
    createTarball([
      { path: 'package/package.json', content: '{"name":"demo"}' },
      { path: 'package/lib/index.js', content: 'ok' },
    ]),
  )
  return file
}

describe('the worker file', () => {
  it('is found in the built package (dist/worker.js)', () => {
    const { root, dest } = tempRoot()
    // Lay out node_modules as installing the published packages would: built dist/ and package.json.
    const tsc = require.resolve('typescript/bin/tsc')
    for (const [name, dir] of [
      ['@tote/types', join(packageDir, '../types')],
      ['@tote/extractor', packageDir],
    ] as const) {
      const target = join(root, 'node_modules', name)
      execFileSync(process.execPath, [
        tsc,
        '-p',
        join(dir, 'tsconfig.build.json'),
        '--outDir',
        join(target, 'dist'),
      ])
      copyFileSync(join(dir, 'package.json'), join(target, 'package.json'))
    }
    symlinkSync(tinypoolDir, join(root, 'node_modules/tinypool'))
    writeFileSync(join(root, 'run.mjs'), runner)

    const { files, worker } = runNode(join(root, 'run.mjs'), [writeTarball(root), dest])
    expect(worker).toBe(`file://${root}/node_modules/@tote/extractor/dist/worker.js`)
    expect(files.map((file) => file.path)).toEqual(['package.json', 'lib/index.js'])
    expect(readFileSync(join(dest, 'lib/index.js'), 'utf8')).toBe('ok')
  }, 120_000)

  it('is found next to an esbuild bundle that ships it as worker.js (the recipe in the README)', async () => {
    const { root, dest } = tempRoot()
    mkdirSync(join(root, 'app'))
    writeFileSync(
      join(root, 'app/cli.mjs'),
      runner.replace('@tote/extractor', join(packageDir, 'src/index.ts')),
    )
    await build({
      absWorkingDir: packageDir,
      entryPoints: {
        cli: join(root, 'app/cli.mjs'),
        worker: join(packageDir, 'src/worker.ts'), // in the CLI: '@tote/extractor/worker'
        'entry/worker': join(tinypoolDir, 'dist/entry/worker.js'), // tinypool's own thread entry
      },
      outdir: join(root, 'out'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      conditions: ['source'], // bundle the workspace from sources, as the CLI build does
      logLevel: 'silent',
    })
    const { files, worker } = runNode(join(root, 'out/cli.js'), [writeTarball(root), dest])
    expect(worker).toBe(`file://${root}/out/worker.js`)
    expect(files.map((file) => file.path)).toEqual(['package.json', 'lib/index.js'])
    expect(walk(dest)).toEqual(['lib', 'lib/index.js', 'package.json'])
  }, 120_000)
})
