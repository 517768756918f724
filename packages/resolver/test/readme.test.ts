import type { PackageManifest } from '@tote/types'
import { expect, it } from 'vitest'
import { createResolver } from '../src/index.js'

function manifest(name: string, version: string, dependencies?: Record<string, string>): PackageManifest {
  return {
    name,
    version,
    ...(dependencies ? { dependencies } : {}),
    dist: { tarball: `http://127.0.0.1:4873/${name}-${version}.tgz` },
  }
}

it('runs the README example', async () => {
  // --- README example (keep identical) ---
  const packuments = {
    a: {
      name: 'a',
      'dist-tags': { latest: '1.0.0' },
      versions: { '1.0.0': manifest('a', '1.0.0', { c: '^1.0.0' }) },
    },
    b: {
      name: 'b',
      'dist-tags': { latest: '1.0.0' },
      versions: { '1.0.0': manifest('b', '1.0.0', { c: '^2.0.0' }) },
    },
    c: {
      name: 'c',
      'dist-tags': { latest: '2.0.0' },
      versions: { '1.0.0': manifest('c', '1.0.0'), '2.0.0': manifest('c', '2.0.0') },
    },
  }
  const resolver = createResolver({
    getPackument: async (name) => packuments[name as keyof typeof packuments],
  })
  const { lockfile } = await resolver.resolve({ name: 'demo', dependencies: { a: '^1.0.0', b: '^1.0.0' } })
  // --- end of README example ---

  expect(
    Object.entries(lockfile.packages).map(([path, entry]) => `${path || '(root)'} ${entry.version ?? ''}`),
  ).toEqual([
    '(root) ',
    'node_modules/a 1.0.0',
    'node_modules/b 1.0.0',
    'node_modules/b/node_modules/c 2.0.0',
    'node_modules/c 1.0.0',
  ])
})

it('the README shows the same example code', async () => {
  const { readFileSync } = await import('node:fs')
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const test = readFileSync(new URL('./readme.test.ts', import.meta.url), 'utf8')
  const startMarker = '// --- README example (keep identical) ---\n'
  const block = test.slice(
    test.indexOf(startMarker) + startMarker.length,
    test.indexOf('  // --- end of README example ---'),
  )
  const code = block
    .split('\n')
    .map((line) => line.replace(/^ {2}/, ''))
    .join('\n')
    .trim()
  expect(readme).toContain(code)
})
