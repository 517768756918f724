// Registry documents for the tests that read documents from their bytes.
import type { LazyPackument, PackageManifest, Packument } from '@tote/types'

export const dist = (version: string) => ({
  tarball: `http://127.0.0.1:1/a/-/a-${version}.tgz`,
  integrity: 'sha512-x',
  shasum: 'ab',
})

/** A full document with the traps a scanner can fall into: braces and quotes in strings, look-alike keys. */
export const fullDocument = {
  _id: 'a',
  _rev: '3-abc',
  name: 'a',
  // Some registries put the readme before the versions.
  readme: '# a\n\n```json\n{ "versions": {}, "time": { "modified": "no" } }\n```\n',
  'dist-tags': { latest: '2.0.0' },
  versions: {
    '1.0.0': {
      name: 'a',
      version: '1.0.0',
      description: 'braces { and } and quotes " and a backslash at the end \\',
      // A key named time inside a version: not the document's time.
      time: { modified: '1999-01-01T00:00:00.000Z' },
      config: { versions: { x: 1 }, '"time": {': '}' },
      scripts: { test: 'echo "}, \\"time\\": {" && exit 1' },
      dependencies: { b: '^1.0.0' },
      dist: dist('1.0.0'),
    },
    '2.0.0': {
      name: 'a',
      version: '2.0.0',
      bin: { a: './cli.js' },
      keywords: ['x', [], {}, null, true, 1.5e3, -2],
      dist: dist('2.0.0'),
    },
  },
  time: { created: '2020-01-01T00:00:00.000Z', modified: '2021-02-03T04:05:06.000Z', '1.0.0': 'x' },
  maintainers: [{ name: 'someone', email: 'someone@127.0.0.1' }],
  users: { someone: true },
  readmeFilename: 'README.md',
}

/** A lazily read packument with every version read, unusable ones left out: what reducePackument gives. */
export function readAll(packument: LazyPackument): Packument {
  const { versions: lazy, modified, ...head } = packument
  const versions: Record<string, PackageManifest> = {}
  for (const key of lazy.keys()) {
    const manifest = lazy.get(key)
    if (manifest) versions[key] = manifest
  }
  return { ...head, versions, ...(modified === undefined ? {} : { modified }) }
}
