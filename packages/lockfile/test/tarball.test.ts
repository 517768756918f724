import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { sha512Integrity, tarballPackageJsons } from '../src/index.js'

/** A ustar header for `name` (or a pax header's records) followed by the body, padded to 512. */
function entry(name: string, body: string, type = '0'): Buffer {
  const content = Buffer.from(body)
  const header = Buffer.alloc(512)
  header.write(name.slice(0, 100), 0)
  header.write('0000644\0', 100)
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124)
  header.write(type, 156)
  header.write('ustar\0', 257)
  header.write('00', 263)
  header.fill(' ', 148, 156)
  let sum = 0
  for (const byte of header) sum += byte
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148)
  return Buffer.concat([header, content, Buffer.alloc((512 - (content.length % 512)) % 512)])
}

function tarball(...entries: Buffer[]): Buffer {
  return gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)]))
}

describe('tarballPackageJsons', () => {
  it('reads package.json under any first folder, and the bundled packages’ package.json', () => {
    const long = `node_modules/${'x'.repeat(120)}/package.json`
    const record = `path=package/${long}`
    const pax = `${record.length + 4} ${record}\n`
    const found = tarballPackageJsons(
      tarball(
        entry('package/README.md', '# hi'),
        entry('pkg/package.json', '{"name":"a","version":"1.0.0"}'),
        entry('pkg/node_modules/b/package.json', '{"name":"b","version":"2.0.0"}'),
        entry('pkg/node_modules/b/node_modules/@s/c/package.json', '{"name":"@s/c"}'),
        entry('PaxHeader', pax, 'x'),
        entry('package/ignored-name', '{"name":"long"}'),
        entry('pkg/lib/package.json', '{"name":"not a package"}'),
      ),
      'a.tgz',
    )
    expect([...found.keys()]).toEqual([
      'package.json',
      'node_modules/b/package.json',
      'node_modules/b/node_modules/@s/c/package.json',
      long,
    ])
    expect(found.get('package.json')).toEqual({ name: 'a', version: '1.0.0' })
  })

  it('names what is wrong with a tarball it cannot read', () => {
    expect(() => tarballPackageJsons(Buffer.from('not gzip'), 'x.tgz')).toThrow(
      expect.objectContaining({
        code: 'ETARBALL',
        message: expect.stringContaining('x.tgz is not a gzipped tarball'),
      }),
    )
    expect(() => tarballPackageJsons(tarball(entry('package/index.js', '')), 'x.tgz')).toThrow(
      expect.objectContaining({ code: 'ETARBALL', message: 'x.tgz holds no package.json' }),
    )
    expect(() => tarballPackageJsons(tarball(entry('package/package.json', '{')), 'x.tgz')).toThrow(
      expect.objectContaining({ code: 'ETARBALL', message: 'x.tgz: its package.json is not valid JSON' }),
    )
  })

  it('sha512Integrity is the SRI of the bytes', () => {
    expect(sha512Integrity(Buffer.from(''))).toBe(
      'sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==',
    )
  })
})
