import { createTarball } from '@tote/test-registry'
import { parseTar } from 'nanotar'
import { describe, expect, it } from 'vitest'
import { readTar } from '../src/_tar.js'
import { writeHeaderField } from './_helpers.js'

describe('readTar', () => {
  it('agrees with nanotar on the archives nanotar reads correctly (short names, no pax)', () => {
    const tar = createTarball(
      [
        { path: 'package/package.json', content: '{"name":"same"}' },
        { path: 'package/lib', type: 'directory' },
        { path: 'package/lib/a.js', content: 'a'.repeat(1500), mode: 0o755 },
        { path: 'package/empty.txt', content: '' },
        { path: 'package/link', type: 'symlink', linkTarget: 'lib/a.js' },
      ],
      { gzip: false },
    )
    const ours = readTar(Buffer.from(tar))
    const theirs = parseTar(tar)
    expect(ours.map((entry) => entry.name)).toEqual(theirs.map((item) => item.name))
    expect(ours.map((entry) => entry.size)).toEqual(theirs.map((item) => item.size))
    expect(ours.map((entry) => entry.mode.toString(8))).toEqual(
      theirs.map((item) => item.attrs?.mode?.replace(/^0+/, '')),
    )
    const data = ours.map((entry) =>
      Buffer.from(tar.subarray(entry.offset, entry.offset + entry.size)).toString(),
    )
    expect(data).toEqual(theirs.map((item) => (item.data ? Buffer.from(item.data).toString() : '')))
    expect(ours.map((entry) => entry.type)).toEqual(['0', '5', '0', '0', '2'])
    expect(ours[4]!.linkName).toBe('lib/a.js')
  })

  it('reads what nanotar 0.3 gets wrong: the ustar prefix and pax values with spaces', () => {
    const long = `package/${'d'.repeat(80)}/${'e'.repeat(40)}/index.js`
    const tar = createTarball(
      [
        { path: long, content: 'x' },
        { path: 'package/x', pax: { path: 'package/a b=c.js', linkpath: 'only a link path' }, content: 'y' },
      ],
      { gzip: false },
    )
    expect(readTar(Buffer.from(tar)).map((entry) => [entry.name, entry.linkName])).toEqual([
      [long, ''],
      ['package/a b=c.js', 'only a link path'],
    ])
  })

  it('applies a GNU long link name (K) to the next entry, and skips global pax headers (g)', () => {
    const target = `${'t'.repeat(150)}/target.js`
    const tar = createTarball(
      [
        { path: 'global', content: 'path=package/renamed-everything.js\n' },
        { path: '././@LongLink', content: `${target}\0` },
        { path: 'package/link', type: 'symlink', linkTarget: 'short' },
        { path: 'package/after.js', content: 'a' },
      ],
      { gzip: false },
    )
    writeHeaderField(tar, 0, 156, 1, 'g') // the first entry becomes a global pax header
    writeHeaderField(tar, 1024, 156, 1, 'K') // the second a GNU long link name
    expect(readTar(Buffer.from(tar)).map((entry) => [entry.name, entry.type, entry.linkName])).toEqual([
      ['package/link', '2', target],
      ['package/after.js', '0', ''],
    ])
  })

  it('reads base-256 sizes and V7 folder entries (a regular-file flag, a name ending in /)', () => {
    const tar = createTarball(
      [
        { path: 'package/big.bin', content: 'x'.repeat(700) },
        { path: 'package/old-style-dir/', type: 'file' },
      ],
      { gzip: false },
    )
    writeHeaderField(tar, 0, 124, 12, new Uint8Array([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0xbc])) // 700, base-256
    const entries = readTar(Buffer.from(tar))
    expect(entries.map((entry) => [entry.name, entry.type, entry.size])).toEqual([
      ['package/big.bin', '0', 700],
      ['package/old-style-dir/', '5', 0],
    ])
  })
})
