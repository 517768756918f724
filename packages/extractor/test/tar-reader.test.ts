import { createTarball } from '@tote/test-registry'
import { parseTar } from 'nanotar'
import { describe, expect, it } from 'vitest'
import { readTar } from '../src/_tar.js'

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
})
