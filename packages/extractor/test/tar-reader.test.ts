import { createTarball } from '@tote/test-registry'
import { parseTar } from 'nanotar'
import { describe, expect, it } from 'vitest'
import { readTar, type TarEntry, TarReader } from '../src/_tar.js'
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

describe('TarReader fed in pieces', () => {
  const random = Buffer.from(Array.from({ length: 1500 }, (_, i) => (i * 7919) % 251))
  const tar = Buffer.from(
    createTarball(
      [
        { path: 'package/package.json', content: '{"name":"pieces"}' },
        { path: `package/${'d'.repeat(80)}/${'e'.repeat(40)}/index.js`, content: 'prefix' },
        { path: 'package/x', pax: { path: 'package/a b=c.js' }, content: 'pax'.repeat(300) },
        { path: `package/${'g'.repeat(150)}/long.js`, gnuLongName: true, content: 'gnu' },
        { path: 'package/empty.txt', content: '' },
        { path: 'package/block.bin', content: 'z'.repeat(512) },
        { path: 'package/random.bin', content: random },
      ],
      { gzip: false },
    ),
  )

  /**
   * Reads `tar` cut at `cuts`, each piece copied into one scratch buffer that is overwritten as soon
   * as the reader returns (as the inflater reuses its output buffer).
   */
  function readInPieces(bytes: Buffer, cuts: number[]): { entries: TarEntry[]; data: string[] } {
    const entries: TarEntry[] = []
    const data: string[] = []
    let current: Buffer[] = []
    const reader = new TarReader({
      entry: (entry) => {
        entries.push(entry)
        current = []
        return true
      },
      data: (chunk, start, end) => current.push(Buffer.from(chunk.subarray(start, end))),
      entryEnd: () => data.push(Buffer.concat(current).toString('latin1')),
    })
    const scratch = Buffer.alloc(bytes.length)
    let at = 0
    for (const cut of [...cuts, bytes.length]) {
      bytes.copy(scratch, 0, at, cut)
      reader.write(scratch, 0, cut - at)
      scratch.fill(0xee)
      at = cut
    }
    reader.end()
    return { entries, data }
  }

  /** Where each header starts (pax and GNU ones included), and where the end-of-archive blocks start. */
  function headerStarts(bytes: Buffer): { starts: number[]; end: number } {
    const starts: number[] = []
    let at = 0
    while (bytes[at] !== 0) {
      starts.push(at)
      const size = Number.parseInt(bytes.toString('latin1', at + 124, at + 135), 8)
      at += 512 + Math.ceil(size / 512) * 512
    }
    return { starts, end: at }
  }

  const whole = readInPieces(tar, [])

  it('reads the whole tar right', () => {
    expect(whole.entries.map((entry) => entry.name)).toEqual([
      'package/package.json',
      `package/${'d'.repeat(80)}/${'e'.repeat(40)}/index.js`,
      'package/a b=c.js',
      `package/${'g'.repeat(150)}/long.js`,
      'package/empty.txt',
      'package/block.bin',
      'package/random.bin',
    ])
    expect(whole.data).toEqual([
      '{"name":"pieces"}',
      'prefix',
      'pax'.repeat(300),
      'gnu',
      '',
      'z'.repeat(512),
      random.toString('latin1'),
    ])
    expect(whole.entries).toEqual(readTar(tar))
  })

  it('reads the same when cut in two at every byte (headers, pax records and data straddling)', () => {
    for (let cut = 1; cut < tar.length; cut++) expect(readInPieces(tar, [cut])).toEqual(whole)
  })

  it('reads the same in 1-byte pieces, and in pieces of 100, 511, 513 and 1000 bytes', () => {
    for (const size of [1, 100, 511, 513, 1000]) {
      const cuts = Array.from({ length: Math.ceil(tar.length / size) - 1 }, (_, i) => (i + 1) * size)
      expect(readInPieces(tar, cuts)).toEqual(whole)
    }
  })

  it('calls a tar cut anywhere but between entries or in the end blocks truncated', () => {
    const { starts, end } = headerStarts(tar)
    expect(starts.length).toBe(9) // 7 entries, a pax header, a GNU long name header
    for (let cut = 0; cut < tar.length; cut++) {
      const complete = cut >= end || starts.includes(cut)
      const read = (): unknown => readInPieces(tar.subarray(0, cut), cut > 7 ? [7] : [])
      if (complete) expect(read, `cut at ${cut}`).not.toThrow()
      else expect(read, `cut at ${cut}`).toThrow(/^tarball: truncated tar$/)
    }
  })

  it('names the byte of a bad header whichever piece it came in', () => {
    const broken = Buffer.from(tar)
    const header = whole.entries[4]!.offset - 512 // empty.txt
    broken[header + 3]! ^= 0x20
    expect(() => readInPieces(broken, [header + 100])).toThrow(`bad tar header checksum at byte ${header}`)
    expect(() => readInPieces(broken, [header - 1, header + 700])).toThrow(
      `bad tar header checksum at byte ${header}`,
    )
  })
})
