import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { paxRecord } from '../src/_tar.js'
import { createTarball } from '../src/index.js'
import { readTar } from './_tar-reader.js'

const scratch = mkdtempSync(join(tmpdir(), 'tote-test-registry-tar-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** GNU tar's verbose listing of `bytes`, one line per entry. */
function gnuTarList(bytes: Uint8Array, name: string): string[] {
  const file = join(scratch, name)
  writeFileSync(file, bytes)
  return execFileSync('tar', ['-tvf', file], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } })
    .trim()
    .split('\n')
}

describe('createTarball', () => {
  it('writes every entry type with its mode, link target and content', () => {
    const bytes = createTarball([
      { path: 'package/', type: 'directory' },
      { path: 'package/index.js', content: 'module.exports = 1\n' },
      { path: 'package/run.sh', content: '#!/bin/sh\n', mode: 0o755 },
      { path: 'package/link', type: 'symlink', linkTarget: 'index.js' },
      { path: 'package/hard', type: 'hardlink', linkTarget: 'package/index.js' },
      { path: 'package/char', type: 'character' },
      { path: 'package/block', type: 'block', mode: 0o600 },
      { path: 'package/fifo', type: 'fifo' },
    ])
    const entries = readTar(bytes)
    expect(entries.map((e) => [e.path, e.typeflag, e.mode.toString(8), e.linkTarget])).toEqual([
      ['package/', '5', '755', ''],
      ['package/index.js', '0', '644', ''],
      ['package/run.sh', '0', '755', ''],
      ['package/link', '2', '777', 'index.js'],
      ['package/hard', '1', '644', 'package/index.js'],
      ['package/char', '3', '644', ''],
      ['package/block', '4', '600', ''],
      ['package/fifo', '6', '644', ''],
    ])
    expect(entries[1]!.content.toString()).toBe('module.exports = 1\n')
    expect(entries[1]!.mtime).toBe(499162500)

    const listing = gnuTarList(bytes, 'types.tgz')
    expect(listing.map((line) => line.slice(0, 10))).toEqual([
      'drwxr-xr-x',
      '-rw-r--r--',
      '-rwxr-xr-x',
      'lrwxrwxrwx',
      'hrw-r--r--',
      'crw-r--r--',
      'brw-------',
      'prw-r--r--',
    ])
    expect(listing[1]).toContain('1985-10-26 08:15 package/index.js')
    expect(listing[3]).toMatch(/package\/link -> index\.js$/)
    expect(listing[4]).toMatch(/package\/hard link to package\/index\.js$/)
  })

  it('writes ustar headers: magic, version, octal fields and checksum', () => {
    const tar = Buffer.from(createTarball([{ path: 'a.txt', content: 'hello' }], { gzip: false }))
    expect(tar.length).toBe(512 * 4) // header, one data block, two end blocks
    expect(tar.subarray(257, 263)).toEqual(Buffer.from('ustar\0'))
    expect(tar.subarray(263, 265).toString()).toBe('00')
    expect(tar.subarray(100, 108).toString()).toBe('0000644\0')
    expect(tar.subarray(124, 136).toString()).toBe('00000000005\0')
    expect(tar.subarray(136, 148).toString()).toBe((499162500).toString(8).padStart(11, '0') + '\0')
    const checksumField = tar.subarray(148, 156).toString('latin1')
    expect(checksumField).toMatch(/^[0-7]{6}\0 $/)
    let sum = 0
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : tar[i]!
    expect(Number.parseInt(checksumField.slice(0, 6), 8)).toBe(sum)
    expect(tar.subarray(512, 517).toString()).toBe('hello')
    expect(tar.subarray(1024).every((byte) => byte === 0)).toBe(true)
  })

  it('gzips by default and is byte-for-byte reproducible', () => {
    const entries = [{ path: 'package/x', content: new Uint8Array([0, 1, 2, 255]) }]
    const first = createTarball(entries)
    expect([first[0], first[1]]).toEqual([0x1f, 0x8b])
    expect(Buffer.from(createTarball(entries))).toEqual(Buffer.from(first))
    expect(gunzipSync(first)).toEqual(Buffer.from(createTarball(entries, { gzip: false })))
    expect(readTar(first)[0]!.content).toEqual(Buffer.from([0, 1, 2, 255]))
    // The result owns its memory (not a view into Node's shared Buffer pool).
    const plain = createTarball(entries, { gzip: false })
    expect([plain.byteOffset, plain.buffer.byteLength]).toEqual([0, plain.length])
  })

  it('emits pax headers whose records carry their exact length', () => {
    const longPath = `package/${'d'.repeat(120)}/${'f'.repeat(110)}.js`
    const bytes = createTarball([
      { path: 'package/short', pax: { path: longPath, comment: 'ünïcode' }, content: 'x' },
    ])
    const [entry] = readTar(bytes)
    expect(entry!.path).toBe(longPath)
    expect(entry!.headerPath).toBe('package/short')
    expect(entry!.pax).toEqual({ path: longPath, comment: 'ünïcode' })
    expect(gnuTarList(bytes, 'pax.tgz')[0]).toMatch(new RegExp(`${longPath.replaceAll('.', '\\.')}$`))
  })

  it('computes pax record lengths across digit-count boundaries', () => {
    for (let valueLength = 0; valueLength < 1100; valueLength++) {
      const record = paxRecord('path', 'v'.repeat(valueLength))
      const declared = Number(record.slice(0, record.indexOf(' ')))
      expect(Buffer.byteLength(record)).toBe(declared)
    }
    expect(paxRecord('a', 'b')).toBe('6 a=b\n')
    // ' path=' + 90 + '\n' is 97 bytes: 2 digits make 99. One more byte would need 100, which has 3 digits.
    expect(paxRecord('path', 'x'.repeat(90))).toBe(`99 path=${'x'.repeat(90)}\n`)
    expect(paxRecord('path', 'x'.repeat(91))).toBe(`101 path=${'x'.repeat(91)}\n`)
  })

  it('emits GNU long-name entries', () => {
    const longName = `package/${'n'.repeat(150)}.js`
    const bytes = createTarball([{ path: longName, gnuLongName: true, content: 'long' }])
    const [entry] = readTar(bytes)
    expect(entry!.gnuLongName).toBe(true)
    expect(entry!.path).toBe(longName)
    expect(entry!.headerPath).toBe(longName.slice(0, 100))
    expect(gnuTarList(bytes, 'gnu.tgz')[0]).toMatch(new RegExp(`${longName.replace('.', '\\.')}$`))
  })

  it('fits long paths by the ustar prefix, or else by a pax path record', () => {
    const splittable = `package/${'p'.repeat(90)}/${'q'.repeat(90)}.js`
    const unsplittable = `package/${'z'.repeat(130)}.js`
    const longTarget = `${'t'.repeat(120)}/target`
    const entries = readTar(
      createTarball([
        { path: splittable, content: '1' },
        { path: unsplittable, content: '2' },
        { path: 'package/l', type: 'symlink', linkTarget: longTarget },
      ]),
    )
    expect(entries[0]).toMatchObject({ path: splittable, headerPath: splittable, pax: {} })
    expect(entries[1]!.path).toBe(unsplittable)
    expect(entries[1]!.pax).toEqual({ path: unsplittable })
    expect(entries[2]!.linkTarget).toBe(longTarget)
    expect(entries[2]!.pax).toEqual({ linkpath: longTarget })
  })

  it('writes hostile paths exactly as given', () => {
    const hostile = [
      '/etc/passwd',
      '../../escape.js',
      'package\\..\\..\\win.js',
      'C:evil.js',
      'package/../up',
    ]
    const entries = readTar(createTarball(hostile.map((path) => ({ path, content: 'x' }))))
    expect(entries.map((entry) => entry.headerPath)).toEqual(hostile)
  })
})
