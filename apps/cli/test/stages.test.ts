// Stages taken from other modules on the command line: the example stages of examples/stages, a
// downloader of a test's own, and what happens when a module is not a stage.
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createContentCache } from '@tote/content-cache'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scratch, tote } from './_tote.js'

const examples = fileURLToPath(new URL('../../../examples/stages/', import.meta.url))
let registry: TestRegistry

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: {
      app: {
        versions: {
          '1.0.0': { dependencies: { lib: '^1.0.0' }, files: { 'index.js': 'module.exports = 1\n' } },
        },
      },
      lib: {
        versions: {
          '1.0.0': {
            bin: { lib: 'cli.js' },
            files: { 'cli.js': { content: '#!/usr/bin/env node\n', mode: 0o755 }, 'data.txt': 'lib data' },
          },
        },
      },
    },
  })
})
afterAll(() => registry.close())

describe('stages from other modules', () => {
  for (const workers of ['1', '0']) {
    it(`swaps two stages at once, the examples' extractor and cloner (--workers ${workers})`, async () => {
      const project = scratch({ dependencies: { app: '^1.0.0' } })
      const log = join(project.home, 'counted.log')
      const result = await tote(
        [
          'install',
          '--stage',
          `extractor=${join(examples, 'counting-extractor.mjs')}`,
          '--cloner',
          join(examples, 'copying-cloner.mjs'),
          '--workers',
          workers,
        ],
        { ...project, cwd: project.dir, registry: registry.url, env: { COUNTING_EXTRACTOR_LOG: log } },
      )
      expect(result).toMatchObject({ code: 0, stderr: '' })
      // The counting extractor unpacked both packages (package.json included in its counts)…
      expect(readFileSync(log, 'utf8').split('\n').sort()).toEqual([
        '',
        `app@1.0.0 2 ${statSize(project.cache, 'app')}`,
        `lib@1.0.0 3 ${statSize(project.cache, 'lib')}`,
      ])
      // …and the copying cloner placed their files: copies, with the file list's modes.
      const cli = join(project.dir, 'node_modules/lib/cli.js')
      expect(readFileSync(cli, 'utf8')).toBe('#!/usr/bin/env node\n')
      expect(statSync(cli).nlink).toBe(1)
      expect(statSync(cli).mode & 0o777).toBe(0o755)
      expect(statSync(join(project.dir, 'node_modules/lib/data.txt')).nlink).toBe(1)
      expect(readFileSync(join(project.dir, 'node_modules/app/index.js'), 'utf8')).toBe(
        'module.exports = 1\n',
      )
    })
  }

  it('downloads through a downloader module named with --stage downloader=', async () => {
    const project = scratch({ dependencies: { app: '^1.0.0' } })
    writeFileSync(
      join(project.dir, 'my-downloader.mjs'),
      [
        "import { createHash } from 'node:crypto'",
        "import { appendFileSync } from 'node:fs'",
        '// The registry client downloads; this stage keeps the bytes and names their sha512.',
        'export function createDownloader(client) {',
        '  return {',
        '    async download(request, options = {}) {',
        "      appendFileSync('downloads.log', request.name + '\\n')",
        '      const createSink = () => {',
        '        const chunks = []',
        '        return {',
        '          push: (chunk) => chunks.push(chunk),',
        '          finish: () => Buffer.concat(chunks),',
        '        }',
        '      }',
        '      const data = await client.fetchTarball(request.tarballUrl, { signal: options.signal, createSink })',
        "      return { data, integrity: 'sha512-' + createHash('sha512').update(data).digest('base64') }",
        '    },',
        '  }',
        '}',
      ].join('\n'),
    )
    const result = await tote(['install', '--stage', 'downloader=./my-downloader.mjs'], {
      ...project,
      cwd: project.dir,
      registry: registry.url,
    })
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(readFileSync(join(project.dir, 'downloads.log'), 'utf8').split('\n').sort()).toEqual([
      '',
      'app',
      'lib',
    ])
    expect(readFileSync(join(project.dir, 'node_modules/lib/data.txt'), 'utf8')).toBe('lib data')
  })

  it('refuses a --stage it cannot read, and a module that is no stage', async () => {
    const project = scratch({ dependencies: { app: '^1.0.0' } })
    writeFileSync(join(project.dir, 'typo.mjs'), 'export function createClonr() {}\n')
    const run = (args: string[]) =>
      tote(['install', ...args], { ...project, cwd: project.dir, registry: registry.url })
    for (const args of [
      ['--stage', 'unpacker=./typo.mjs'],
      ['--stage', 'cloner'],
      ['--stage', 'cloner=./typo.mjs', '--cloner', './typo.mjs'],
    ]) {
      const refused = await run(args)
      expect(refused.code, args.join(' ')).toBe(2)
      expect(refused.stderr).toContain('EUSAGE')
    }
    for (const [args, name] of [
      [['--cloner', './typo.mjs', '--workers', '1'], 'cloner'],
      [['--stage', 'content-cache=./typo.mjs'], 'contentCache'],
      [['--stage', 'downloader=./typo.mjs'], 'downloader'],
    ] as const) {
      const failed = await run([...args])
      expect(failed.code, args.join(' ')).toBe(1)
      expect(failed.stderr).toContain('ESTAGEMODULE')
      expect(failed.stderr).toContain(`The ${name} module`)
    }
  })
})

/** The bytes of a package's files, as the content cache recorded them when it was unpacked. */
function statSize(cacheDir: string, name: string): number {
  const found = createContentCache({ dir: cacheDir }).lookupSync(registry.integrity(name, '1.0.0'), {
    name,
    version: '1.0.0',
  })
  if (found.status !== 'found') throw new Error(`${name} is not in the cache: ${found.status}`)
  return found.entry.files.reduce((sum, file) => sum + file.size, 0)
}
