import { describe, expect, it } from 'vitest'
import { type LazyPackument, type PackageManifest, type Packument, versionsOf } from '../src/index.js'

const manifest = (version: string): PackageManifest => ({
  name: 'a',
  version,
  dist: { tarball: `http://127.0.0.1/a-${version}.tgz` },
})

describe('versionsOf', () => {
  it('reads a plain packument through the methods of a lazily read one', () => {
    const plain: Packument = {
      name: 'a',
      'dist-tags': { latest: '1.0.0' },
      versions: { '1.0.0': manifest('1.0.0'), '2.0.0-rc.1': manifest('2.0.0-rc.1') },
    }
    const versions = versionsOf(plain)
    expect(versions.get('1.0.0')).toBe(plain.versions['1.0.0'])
    expect(versions.has('2.0.0-rc.1')).toBe(true)
    expect(versions.keys()).toEqual(['1.0.0', '2.0.0-rc.1'])
    expect(versions.keys()).toBe(versions.keys())
    // only the document's own versions: not the members every object inherits
    expect(versions.get('constructor')).toBeUndefined()
    expect(versions.has('toString')).toBe(false)
  })

  it('gives a lazily read packument its own versions, and a document without versions none', () => {
    const lazy: LazyPackument = {
      name: 'a',
      'dist-tags': {},
      versions: { get: () => undefined, has: () => false, keys: () => [] },
    }
    expect(versionsOf(lazy)).toBe(lazy.versions)
    // a plain record whose versions are named like the methods is still a record
    const tricky = {
      name: 'a',
      'dist-tags': {},
      versions: { get: manifest('0.0.0'), keys: manifest('0.0.1') },
    }
    expect(versionsOf(tricky as unknown as Packument).keys()).toEqual(['get', 'keys'])
    // an unpublished package's document has no versions
    const unpublished = { name: 'a', 'dist-tags': {} } as unknown as Packument
    expect(versionsOf(unpublished).keys()).toEqual([])
  })
})
