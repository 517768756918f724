import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { extractTarballSync } from '@tote/extractor'
import { createTarball } from '@tote/test-registry'
import { expect, it } from 'vitest'
import { createContentCache } from '../src/index.js'
import { tempDir } from './_helpers.js'

it('README example: look a package up, extract it into the cache when missing', async () => {
  const cacheDir = tempDir()
  const tarball = createTarball([
    { path: 'package/package.json', content: '{"name":"demo","version":"1.0.0"}' },
  ])
  // README example start
  const cache = createContentCache({ dir: cacheDir })
  const integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`
  const demo = { name: 'demo', version: '1.0.0' } // the package the lockfile gives this integrity
  const found = await cache.lookup(integrity, demo)
  const entry =
    found.status === 'found'
      ? found.entry
      : await cache.add(integrity, demo, (packageDir) =>
          extractTarballSync(tarball, packageDir, { hashFiles: true }),
        )
  assert.deepEqual(entry.files, [{ path: 'package.json', mode: 0o644, size: 33 }])
  assert.equal(entry.dir, join(cache.entryDir(integrity), 'package'))
  assert.equal(readFileSync(join(entry.dir, 'package.json'), 'utf8'), '{"name":"demo","version":"1.0.0"}')
  assert.deepEqual(cache.lookupSync(integrity, { name: 'other', version: '1.0.0' }), {
    status: 'other-package',
    holds: demo,
  })
  // README example end
  expect(cache.lookupSync(integrity, demo)).toEqual({ status: 'found', entry })
})

it('README example is the code above, verbatim', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const example = /## Example\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)![1]!
  const test = readFileSync(new URL(import.meta.url), 'utf8')
  const region = /\/\/ README example start\n([\s\S]*?)\s*\/\/ README example end/.exec(test)![1]!
  const lines = (text: string) =>
    text
      .split('\n')
      .filter((line) => !line.startsWith('import '))
      .map((line) => line.trim())
      .filter(Boolean)
  expect(lines(example)).toEqual(lines(region))
})
