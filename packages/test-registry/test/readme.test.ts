import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import type { Packument } from '@tote/types'
import { expect, it } from 'vitest'
import { createTarball, createTestRegistry } from '../src/index.js'

it('README example: packument, a fault that fails once, a hostile tarball', async () => {
  const registry = await createTestRegistry({
    packages: {
      'left-pad': { versions: { '1.0.0': {}, '1.1.0': { dependencies: { '@s/util': '^2.0.0' } } } },
      '@s/util': { versions: { '2.0.0': { bin: 'cli.js', files: { 'index.js': 'module.exports = 2\n' } } } },
    },
  })
  try {
    const packument = (await (await fetch(registry.url + 'left-pad')).json()) as Packument
    assert.equal(packument['dist-tags'].latest, '1.1.0')
    assert.equal(packument.versions['1.1.0']?.dist.integrity, registry.integrity('left-pad', '1.1.0'))

    // The first download of this tarball fails with 503, the next one succeeds.
    const tarball = registry.tarballUrl('@s/util', '2.0.0')
    registry.fault(registry.tarballPath('@s/util', '2.0.0'), {
      status: 503,
      headers: { 'retry-after': '1' },
      times: 1,
    })
    assert.equal((await fetch(tarball)).status, 503)
    assert.equal((await fetch(tarball)).status, 200)

    // A hostile tarball, served as given.
    registry.addPackages({
      evil: { versions: { '1.0.0': { tarball: createTarball([{ path: '../outside.js', content: 'x' }]) } } },
    })
    assert.equal(registry.requests.length, 3)
  } finally {
    await registry.close()
  }
})

it('README example is the code above, verbatim', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const example = /```ts\n([\s\S]*?)```/.exec(readme)![1]!
  const body = example
    .split('\n')
    .filter((line) => !line.startsWith('import '))
    .map((line) => line.trim())
    .filter(Boolean)
  const test = readFileSync(new URL(import.meta.url), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
  const start = test.indexOf(body[0]!)
  expect(start).toBeGreaterThan(-1)
  expect(test.slice(start, start + body.length)).toEqual(body)
})
