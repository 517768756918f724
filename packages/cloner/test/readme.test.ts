import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CachedPackage } from '@tote/types'
import { expect, it } from 'vitest'
import { createCloner, linkBins, removeExtraneous } from '../src/index.js'
import { scratch } from './helpers.js'

it('README example: clone from the cache, link bins, remove what is no longer wanted', async () => {
  const cacheDir = scratch()
  const projectDir = scratch()
  // A package as the content cache holds it: a folder and its file list.
  mkdirSync(join(cacheDir, 'hello', 'bin'), { recursive: true })
  writeFileSync(join(cacheDir, 'hello', 'package.json'), '{"name":"hello","version":"1.0.0"}')
  writeFileSync(join(cacheDir, 'hello', 'bin', 'hello.js'), '#!/usr/bin/env node\nconsole.log("hello")\n')
  mkdirSync(join(projectDir, 'node_modules', 'stale'), { recursive: true })
  // README example start
  const hello: CachedPackage = {
    integrity: 'sha512-hello',
    dir: join(cacheDir, 'hello'),
    files: [
      { path: 'package.json', mode: 0o644, size: 35 },
      { path: 'bin/hello.js', mode: 0o644, size: 41 },
    ],
  }
  const cloner = createCloner({ stateDir: cacheDir })
  cloner.cloneSync(hello, join(projectDir, 'node_modules/hello'), {
    onWarning: (w) => console.warn(w.message),
  })
  assert.notEqual(cloner.effectiveStrategy, undefined) // 'hardlink' on ext4, 'reflink' on btrfs or XFS

  const { linked } = await linkBins({
    projectDir,
    packages: [{ path: 'node_modules/hello', name: 'hello', bin: { hello: 'bin/hello.js' } }],
  })
  assert.deepEqual(linked, [
    { binPath: join(projectDir, 'node_modules/.bin/hello'), target: '../hello/bin/hello.js' },
  ])

  const { removed } = await removeExtraneous({ projectDir, keep: new Set(['node_modules/hello']) })
  assert.deepEqual(removed, ['node_modules/stale'])
  // README example end
  expect(readlinkSync(join(projectDir, 'node_modules/.bin/hello'))).toBe('../hello/bin/hello.js')
  expect(statSync(join(projectDir, 'node_modules/hello/bin/hello.js')).mode & 0o777).toBe(0o755)
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
