import { mkdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { createTarball } from '@tote/test-registry'
import type { StageWarning } from '@tote/types'
import { describe, expect, it } from 'vitest'
import {
  EXTRACTIONS,
  expectNothingOutside,
  modeOf,
  tempRoot,
  walk,
  withUmask,
  writeHeaderField,
} from './_helpers.js'

describe.each(EXTRACTIONS)('extractTarballSync ($name)', ({ extract: run }) => {
  function extract(tarball: Uint8Array, dest: string) {
    const warnings: StageWarning[] = []
    const result = run(tarball, dest, {
      packageId: 'demo@1.0.0',
      onWarning: (warning) => warnings.push(warning),
    })
    return { ...result, warnings }
  }

  it('writes the files of a package, without its top folder, and lists them', () => {
    const { root, dest } = tempRoot()
    const tarball = createTarball([
      { path: 'package/package.json', content: '{"name":"demo"}' },
      { path: 'package/lib/index.js', content: 'module.exports = 1\n' },
      { path: 'package/lib/deep/er/x.js', content: '' },
    ])
    const { files, warnings } = extract(tarball, dest)
    expect(files).toEqual([
      { path: 'package.json', mode: 0o644, size: 15 },
      { path: 'lib/index.js', mode: 0o644, size: 19 },
      { path: 'lib/deep/er/x.js', mode: 0o644, size: 0 },
    ])
    expect(warnings).toEqual([])
    expect(readFileSync(join(dest, 'package.json'), 'utf8')).toBe('{"name":"demo"}')
    expect(readFileSync(join(dest, 'lib/index.js'), 'utf8')).toBe('module.exports = 1\n')
    expect(walk(dest)).toEqual([
      'lib',
      'lib/deep',
      'lib/deep/er',
      'lib/deep/er/x.js',
      'lib/index.js',
      'package.json',
    ])
    expectNothingOutside(root)
  })

  it('strips the top folder whatever its name', () => {
    const { dest } = tempRoot()
    const tarball = createTarball([
      { path: 'node/bin/node', content: 'n' },
      { path: 'whatever-name/README.md', content: 'r' },
      { path: './package/index.js', content: 'i' },
    ])
    const { files } = extract(tarball, dest)
    expect(files.map((file) => file.path)).toEqual(['bin/node', 'README.md', 'index.js'])
    expect(walk(dest)).toEqual(['README.md', 'bin', 'bin/node', 'index.js'])
  })

  it('normalises modes: 0o755 when any execute bit is set, else 0o644; folders 0o755', () => {
    const { dest } = tempRoot()
    const modes = {
      'x700.js': 0o700,
      'x744.js': 0o744,
      'x001.js': 0o001,
      's4755.js': 0o4755,
      'r600.js': 0o600,
    }
    const tarball = createTarball([
      { path: 'package/private', type: 'directory', mode: 0o700 },
      ...Object.entries(modes).map(([name, mode]) => ({
        path: `package/private/${name}`,
        mode,
        content: name,
      })),
      { path: 'package/w666.js', mode: 0o666, content: 'w' },
    ])
    const { files } = extract(tarball, dest)
    const expected: Record<string, number> = {
      'private/x700.js': 0o755,
      'private/x744.js': 0o755,
      'private/x001.js': 0o755,
      'private/s4755.js': 0o755,
      'private/r600.js': 0o644,
      'w666.js': 0o644,
    }
    expect(Object.fromEntries(files.map((file) => [file.path, file.mode]))).toEqual(expected)
    for (const [path, mode] of Object.entries(expected))
      expect(modeOf(join(dest, path))).toBe(withUmask(mode))
    expect(modeOf(join(dest, 'private'))).toBe(withUmask(0o755))
  })

  it('drops files that lie outside any top folder, and skips the top folder entry itself quietly', () => {
    const { root, dest } = tempRoot()
    const tarball = createTarball([
      { path: 'package', type: 'directory' },
      { path: 'README', content: 'at the root' },
      { path: 'package/index.js', content: 'i' },
    ])
    const { files, warnings } = extract(tarball, dest)
    expect(files.map((file) => file.path)).toEqual(['index.js'])
    expect(warnings).toEqual([
      {
        code: 'ETARBADENTRY',
        message: 'demo@1.0.0: dropped entry "README": a file outside the package folder',
        package: 'demo@1.0.0',
      },
    ])
    expectNothingOutside(root)
  })

  it('creates empty folders from folder entries', () => {
    const { dest } = tempRoot()
    const { files } = extract(createTarball([{ path: 'package/empty/inner/', type: 'directory' }]), dest)
    expect(files).toEqual([])
    expect(walk(dest)).toEqual(['empty', 'empty/inner'])
  })

  it('keeps the last of duplicate entries, as npm does', () => {
    const { dest } = tempRoot()
    const tarball = createTarball([
      { path: 'package/a.js', content: 'first, longer' },
      { path: 'package/b.js', content: 'b' },
      { path: 'package/a.js', content: 'second', mode: 0o755 },
      { path: 'package/c', content: 'a file first' },
      { path: 'package/c', type: 'directory' },
      { path: 'package/d', type: 'directory' },
      { path: 'package/d', content: 'a file last' },
    ])
    const { files } = extract(tarball, dest)
    expect(files).toEqual([
      { path: 'b.js', mode: 0o644, size: 1 },
      { path: 'a.js', mode: 0o755, size: 6 },
      { path: 'd', mode: 0o644, size: 11 },
    ])
    expect(readFileSync(join(dest, 'a.js'), 'utf8')).toBe('second')
    expect(statSync(join(dest, 'c')).isDirectory()).toBe(true)
    expect(readFileSync(join(dest, 'd'), 'utf8')).toBe('a file last')
  })

  it('drops a file whose path other entries need as a folder', () => {
    const { dest } = tempRoot()
    const tarball = createTarball([
      { path: 'package/lib', content: 'a file' },
      { path: 'package/lib/index.js', content: 'i' },
    ])
    const { files, warnings } = extract(tarball, dest)
    expect(files.map((file) => file.path)).toEqual(['lib/index.js'])
    expect(warnings.map((warning) => warning.message)).toEqual([
      'demo@1.0.0: dropped entry "package/lib": a file where other entries need a folder',
    ])
  })

  it('reads long names from the ustar prefix, pax headers and GNU long names', () => {
    const { dest } = tempRoot()
    const deep = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(60)}/file.js` // > 100 bytes: ustar prefix
    const oneSegment = 'x'.repeat(200) // cannot be split: pax path
    const spaced = 'dir with spaces/a=b c.txt' // pax values may hold spaces and '='
    const unicode = 'ünïcödé/файл.txt'
    const tarball = createTarball([
      { path: `package/${deep}`, content: 'prefix' },
      { path: `package/${oneSegment}`, content: 'pax' },
      { path: 'package/PaxHeaderName', pax: { path: `package/${spaced}` }, content: 'spaced' },
      { path: 'package/ignored', pax: { path: `package/${unicode}` }, content: 'unicode' },
      { path: `package/${'g'.repeat(150)}/long.js`, gnuLongName: true, content: 'gnu' },
    ])
    const { files, warnings } = extract(tarball, dest)
    expect(warnings).toEqual([])
    const expected = [deep, oneSegment, spaced, unicode, `${'g'.repeat(150)}/long.js`]
    expect(files.map((file) => file.path)).toEqual(expected)
    const contents = expected.map((path) => readFileSync(join(dest, path), 'utf8'))
    expect(contents).toEqual(['prefix', 'pax', 'spaced', 'unicode', 'gnu'])
  })

  it('takes the size from a pax header over the header field', () => {
    const { dest } = tempRoot()
    const content = 'sized by pax'
    const tar = createTarball(
      [
        { path: 'package/a.txt', content, pax: { size: String(content.length) } },
        { path: 'package/b.txt', content: 'next' },
      ],
      { gzip: false },
    )
    // Set the file header's size field (the second header: after the pax header and its data) to 0.
    const header = 1024
    expect(new TextDecoder().decode(tar.subarray(header, header + 13))).toBe('package/a.txt')
    writeHeaderField(tar, header, 124, 12, '00000000000\0')
    extract(tar, dest)
    expect(readFileSync(join(dest, 'a.txt'), 'utf8')).toBe(content)
    expect(readFileSync(join(dest, 'b.txt'), 'utf8')).toBe('next')
  })

  it('extracts an uncompressed tar and a file larger than zlib chunks', () => {
    const { dest } = tempRoot()
    const big = new Uint8Array(3 * 1024 * 1024 + 7).map((_, i) => (i * 7919) % 251)
    extract(
      createTarball([{ path: 'package/plain.txt', content: 'plain' }], { gzip: false }),
      join(dest, 'p'),
    )
    expect(readFileSync(join(dest, 'p/plain.txt'), 'utf8')).toBe('plain')
    const { files } = extract(createTarball([{ path: 'package/big.bin', content: big }]), join(dest, 'g'))
    expect(files).toEqual([{ path: 'big.bin', mode: 0o644, size: big.length }])
    expect(Buffer.compare(readFileSync(join(dest, 'g/big.bin')), big)).toBe(0)
  })

  it('checksums each file as it writes it with hashFiles: the last duplicate, empty files, big ones', () => {
    const { dest } = tempRoot()
    const big = new Uint8Array(3 * 1024 * 1024 + 7).map((_, i) => (i * 7919) % 251)
    const tarball = createTarball([
      { path: 'package/a.js', content: 'first, longer' },
      { path: 'package/empty', content: '' },
      { path: 'package/big.bin', content: big },
      { path: 'package/a.js', content: 'second' },
      { path: 'package/lib', content: 'a file where a folder is needed' },
      { path: 'package/lib/x.js', content: 'x' },
      { path: 'package/check', content: '123456789' },
    ])
    const { files } = run(tarball, dest, { hashFiles: true })
    expect(files).toEqual([
      { path: 'empty', mode: 0o644, size: 0, crc32: 0 },
      { path: 'big.bin', mode: 0o644, size: big.length, crc32: crc32(big) },
      { path: 'a.js', mode: 0o644, size: 6, crc32: crc32('second') },
      { path: 'lib/x.js', mode: 0o644, size: 1, crc32: crc32('x') },
      // The standard CRC-32's check value: the algorithm is the usual one (zlib's, gzip's, PNG's).
      { path: 'check', mode: 0o644, size: 9, crc32: 0xcbf43926 },
    ])
    // Without the option, no checksums.
    expect(run(tarball, join(dest, 'again')).files.every((file) => file.crc32 === undefined)).toBe(true)
  })

  it('interoperates with GNU tar in gnu, pax and ustar formats', async () => {
    const { execFileSync } = await import('node:child_process')
    const { writeFileSync } = await import('node:fs')
    for (const format of ['gnu', 'pax', 'ustar']) {
      const { root, dest } = tempRoot()
      const long = `${'l'.repeat(90)}/${'m'.repeat(60)}/é spaced = name.js`
      mkdirSync(join(root, 'src/package', long, '..'), { recursive: true })
      writeFileSync(join(root, 'src/package', long), 'long')
      writeFileSync(join(root, 'src/package/run.sh'), '#!/bin/sh\n', { mode: 0o750 })
      const tgz = join(root, `${format}.tgz`)
      execFileSync('tar', ['-czf', tgz, `--format=${format}`, '-C', join(root, 'src'), 'package'])
      const { files, warnings } = extract(readFileSync(tgz), dest)
      expect(warnings).toEqual([])
      expect(files.map((file) => [file.path, file.mode]).sort()).toEqual([
        [long, 0o644],
        ['run.sh', 0o755],
      ])
      expect(readFileSync(join(dest, long), 'utf8')).toBe('long')
    }
  })
})
