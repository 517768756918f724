import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createTestRegistry } from '@tote/test-registry'
import { expect, it } from 'vitest'
import { createRegistryClient, type RegistryEvent } from '../src/index.js'

it('README example: a packument, a retried tarball hashed while it streams', async () => {
  const registry = await createTestRegistry({
    packages: {
      'left-pad': { versions: { '1.3.0': { bin: 'cli.js', scripts: { install: 'node build.js' } } } },
    },
  })
  const events: RegistryEvent[] = []
  const client = createRegistryClient({
    registry: registry.url,
    retryMinTimeout: 10,
    onEvent: (event) => events.push(event),
  })
  try {
    const packument = await client.getPackument('left-pad')
    const manifest = packument.versions.get(packument['dist-tags'].latest!)!
    assert.deepEqual(manifest.bin, { 'left-pad': 'cli.js' })
    assert.equal(manifest.hasInstallScript, true)

    // The first download breaks off mid-body: the retry gets a fresh sink.
    registry.fault(registry.tarballPath('left-pad', '1.3.0'), { resetAfterBytes: 10, times: 1 })
    const integrity = await client.fetchTarball(manifest.dist.tarball, {
      createSink: () => {
        const hash = createHash('sha512')
        return {
          push: (chunk) => hash.update(chunk),
          finish: () => `sha512-${hash.digest('base64')}`,
        }
      },
    })
    assert.equal(integrity, manifest.dist.integrity)
    assert.equal(events.filter((event) => event.type === 'retry').length, 1)
  } finally {
    await client.close()
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
