import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTarball } from '@tote/test-registry'
import type { StageWarning } from '@tote/types'
import { expect, it } from 'vitest'
import { createExtractor } from '../src/index.js'

it('README example: extract a tarball, hostile entry dropped', () => {
  // README example start
  const tarball = createTarball([
    { path: 'package/package.json', content: '{"name":"demo","version":"1.0.0"}' },
    { path: 'package/bin/cli.js', content: '#!/usr/bin/env node\n', mode: 0o775 },
    { path: 'package/../../evil.js', content: 'never written' },
  ])
  const destDir = join(mkdtempSync(join(tmpdir(), 'demo-')), 'package')
  const extractor = createExtractor()
  const warnings: StageWarning[] = []
  const { files } = extractor.extractSync(tarball, destDir, {
    packageId: 'demo@1.0.0',
    onWarning: (warning) => warnings.push(warning),
  })
  assert.deepEqual(files, [
    { path: 'package.json', mode: 0o644, size: 33 },
    { path: 'bin/cli.js', mode: 0o755, size: 20 },
  ])
  assert.deepEqual(warnings, [
    {
      code: 'ETARBADENTRY',
      message: 'demo@1.0.0: dropped entry "package/../../evil.js": a ".." segment',
      package: 'demo@1.0.0',
    },
  ])
  // README example end
  expect(readFileSync(join(destDir, 'bin/cli.js'), 'utf8')).toBe('#!/usr/bin/env node\n')
  rmSync(join(destDir, '..'), { recursive: true })
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
