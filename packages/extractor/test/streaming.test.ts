import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { createTarball } from '@tote/test-registry'
import { isToteError, type StageWarning } from '@tote/types'
import { describe, expect, it } from 'vitest'
import { type ExtractTuning, extractTarball, extractTarballSync } from '../src/_extract.js'
import { EXTRACTIONS, expectNothingOutside, tempRoot, walk, writeHeaderField } from './_helpers.js'

type Entry = Parameters<typeof createTarball>[0][number]

/** Deterministic bytes that do not compress to nothing. */
function bytes(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length)
  let x = seed * 2654435761 + 1
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

/** Extracts with `tuning` and returns everything observable: the result, warnings, tree and contents. */
function observe(tarball: Uint8Array, dest: string, tuning: ExtractTuning) {
  const warnings: StageWarning[] = []
  const { files } = extractTarball(
    tarball,
    dest,
    { packageId: 'pieces@1.0.0', onWarning: (warning) => warnings.push(warning) },
    tuning,
  )
  const contents = files.map((file) => readFileSync(join(dest, file.path)).toString('base64'))
  return { files, warnings, tree: walk(dest), contents }
}

/** The file descriptors this process has open (Linux). */
const openFds = (): number => readdirSync('/proc/self/fd').length
const hasProcFds = existsSync('/proc/self/fd')

function thrown(body: () => unknown): unknown {
  try {
    body()
  } catch (error) {
    return error
  }
  throw new Error('did not throw')
}

describe('entries that span output pieces', () => {
  it('writes a file larger than the output buffer piece by piece', () => {
    const { dest } = tempRoot()
    const big = bytes(100_003, 1)
    const tarball = createTarball([
      { path: 'package/big.bin', content: big },
      { path: 'package/after.txt', content: 'after' },
    ])
    const { files } = extractTarball(tarball, dest, {}, { path: 'handle', outputSize: 4096 })
    expect(files).toEqual([
      { path: 'big.bin', mode: 0o644, size: big.length },
      { path: 'after.txt', mode: 0o644, size: 5 },
    ])
    expect(readFileSync(join(dest, 'big.bin')).equals(big)).toBe(true)
    expect(readFileSync(join(dest, 'after.txt'), 'utf8')).toBe('after')
  })

  it('writes many tiny files, headers and data cut anywhere between pieces', () => {
    const entries: Entry[] = Array.from({ length: 1200 }, (_, i) => ({
      path: `package/d${i % 17}/f${i}.txt`,
      content: bytes((i * 37) % 1200, i),
      mode: i % 5 === 0 ? 0o755 : 0o644,
    }))
    const tarball = createTarball(entries)
    for (const tuning of [{ path: 'handle', outputSize: 1000 }, {}, { path: 'public' }] as const) {
      const { dest } = tempRoot()
      const { files } = extractTarball(tarball, dest, {}, tuning)
      expect(files).toEqual(
        entries.map((entry) => ({
          path: entry.path.slice('package/'.length),
          mode: entry.mode,
          size: (entry.content as Buffer).length,
        })),
      )
      for (const entry of entries) {
        const written = readFileSync(join(dest, entry.path.slice('package/'.length)))
        expect(written.equals(entry.content as Buffer)).toBe(true)
      }
    }
  })

  it('reads a header that straddles two output pieces', () => {
    const tarball = createTarball([
      { path: 'package/first.txt', content: 'f'.repeat(100) },
      { path: 'package/second.txt', content: 'second' },
    ])
    // first.txt: header [0, 512), data and padding [512, 1024); second.txt's header: [1024, 1536).
    const tar = gunzipSync(tarball)
    expect(tar.toString('latin1', 1024, 1024 + 18)).toBe('package/second.txt')
    const { dest } = tempRoot()
    const { files } = extractTarball(tarball, dest, {}, { path: 'handle', outputSize: 1280 }) // cut at 1280
    expect(files.map((file) => file.path)).toEqual(['first.txt', 'second.txt'])
    expect(readFileSync(join(dest, 'second.txt'), 'utf8')).toBe('second')
  })

  it('gives the same result with every output buffer size, down to 1 byte', () => {
    const tarball = createTarball([
      { path: 'package/package.json', content: '{"name":"pieces"}' },
      { path: `package/${'d'.repeat(80)}/${'e'.repeat(40)}/index.js`, content: bytes(1500, 2) },
      { path: 'package/x', pax: { path: 'package/a b=c.js', size: '3' }, content: 'pax' },
      { path: `package/${'g'.repeat(150)}/long.js`, gnuLongName: true, content: 'gnu' },
      { path: 'package/empty.txt', content: '' },
      { path: 'package/dup.js', content: 'first' },
      { path: 'package/../escape.js', content: 'x' },
      { path: 'package/link', type: 'symlink', linkTarget: '/etc' },
      { path: 'package/dup.js', content: 'second', mode: 0o755 },
      { path: 'package/block.bin', content: bytes(512, 3) },
    ])
    const { dest } = tempRoot()
    const expected = observe(tarball, join(dest, 'public'), { path: 'public' })
    expect(expected.files).toHaveLength(7)
    expect(expected.warnings).toHaveLength(2)
    for (const outputSize of [1, 3, 100, 511, 512, 513, 1023, 1025, 4096, 65536]) {
      const got = observe(tarball, join(dest, String(outputSize)), { path: 'handle', outputSize })
      expect(got, `output buffer of ${outputSize} bytes`).toEqual(expected)
    }
  })
})

describe('failures in the middle of a stream', () => {
  const big = bytes(50_000, 4)
  const tar = createTarball(
    [
      { path: 'package/a.js', content: 'a' },
      { path: 'package/big.bin', content: big },
      { path: 'package/z.js', content: 'z' },
    ],
    { gzip: false },
  )

  it.each(EXTRACTIONS)('leave no file open ($name)', ({ extract }) => {
    if (!hasProcFds) return
    const before = openFds()
    const cut = gzipSync(tar.subarray(0, 512 * 3 + 20_000)) // a good gzip of a tar cut inside big.bin
    const { dest } = tempRoot()
    expect(thrown(() => extract(cut, dest))).toMatchObject({
      code: 'ETARBALL',
      message: 'tarball: truncated tar',
    })
    const gz = gzipSync(tar)
    const { dest: dest2 } = tempRoot()
    expect(thrown(() => extract(gz.subarray(0, gz.length - 30), dest2))).toMatchObject({
      code: 'ETARBALL',
      message: expect.stringMatching(/^tarball: gunzip failed/),
    })
    expect(openFds()).toBe(before)
  })

  it.each(EXTRACTIONS)(
    'report a damaged gzip as such, even after the tar went wrong first ($name)',
    ({ extract }) => {
      const broken = Buffer.from(tar)
      writeHeaderField(broken, 1024, 124, 12, '0000000009x\0') // big.bin's size: a bad number
      const gz = gzipSync(broken)
      const { dest } = tempRoot()
      expect(thrown(() => extract(gz, dest))).toMatchObject({
        message: 'tarball: bad tar header at byte 1024',
      })
      gz[gz.length - 8]! ^= 1 // and a bad CRC: only zlib's check at the very end sees it
      const { dest: dest2 } = tempRoot()
      expect(thrown(() => extract(gz, dest2))).toMatchObject({
        code: 'ETARBALL',
        message: 'tarball: gunzip failed (incorrect data check)',
      })
    },
  )

  it.each(EXTRACTIONS)(
    'turn a file system failure into EEXTRACT, and close the file ($name)',
    ({ extract }) => {
      const deep = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(250, 'x')).join('/') // 5,000 bytes
      const tarball = createTarball([
        { path: 'package/big.bin', content: big },
        { path: 'package/deep', pax: { path: `package/${deep}/file.js` }, content: 'x' },
      ])
      const before = hasProcFds ? openFds() : 0
      const { root, dest } = tempRoot()
      const error = thrown(() => extract(tarball, dest, { packageId: 'deep@1.0.0' }))
      expect(isToteError(error)).toBe(true)
      expect(error).toMatchObject({
        code: 'EEXTRACT',
        details: { errno: 'ENAMETOOLONG', package: 'deep@1.0.0' },
      })
      expect(readFileSync(join(dest, 'big.bin')).equals(big)).toBe(true)
      if (hasProcFds) expect(openFds()).toBe(before)
      expectNothingOutside(root)
    },
  )

  it('stops at once when the tar grows past the limit (a gzip bomb)', () => {
    const tarball = createTarball([
      { path: 'package/a.bin', content: Buffer.alloc(50_000) },
      { path: 'package/b.bin', content: Buffer.alloc(600_000) },
      { path: 'package/c.txt', content: 'never reached' },
    ])
    for (const path of ['handle', 'public'] as const) {
      const { dest } = tempRoot()
      const error = thrown(() =>
        extractTarball(tarball, dest, {}, { path, outputSize: 4096, maxTarBytes: 200_000 }),
      )
      expect(error).toMatchObject({ code: 'ETARBALL', message: 'tarball: more than 200000 bytes of tar' })
      expect(existsSync(join(dest, 'c.txt'))).toBe(false)
    }
  })

  it('extracts a second tarball from inside the first one’s warning callback', () => {
    const { dest } = tempRoot()
    const inner = createTarball([{ path: 'package/inner.bin', content: bytes(200_000, 5) }])
    const outer = createTarball([
      { path: 'package/link', type: 'symlink', linkTarget: 'x' },
      { path: 'package/outer.bin', content: bytes(200_000, 6) },
    ])
    const { files } = extractTarballSync(outer, join(dest, 'outer'), {
      onWarning: () => {
        extractTarballSync(inner, join(dest, 'inner'))
      },
    })
    expect(files.map((file) => file.path)).toEqual(['outer.bin'])
    expect(readFileSync(join(dest, 'outer/outer.bin')).equals(bytes(200_000, 6))).toBe(true)
    expect(readFileSync(join(dest, 'inner/inner.bin')).equals(bytes(200_000, 5))).toBe(true)
  })
})

describe.each(EXTRACTIONS)('entries that change their mind, written as they come ($name)', ({ extract }) => {
  function run(entries: Entry[]) {
    const { dest } = tempRoot()
    const warnings: string[] = []
    const { files } = extract(createTarball(entries), dest, {
      onWarning: (warning) => warnings.push(warning.message),
    })
    const contents = Object.fromEntries(
      files.map((file) => [file.path, readFileSync(join(dest, file.path), 'utf8')]),
    )
    return { files: files.map((file) => file.path), warnings, tree: walk(dest), contents }
  }
  const dropped = (name: string): string =>
    `tarball: dropped entry "${name}": a file where other entries need a folder`

  it('a file, then an entry below it, then the file again: one warning, for the last', () => {
    expect(
      run([
        { path: 'package/p', content: 'first' },
        { path: 'package/p/x.js', content: 'x' },
        { path: './package/p', content: 'again' },
      ]),
    ).toEqual({
      files: ['p/x.js'],
      warnings: [dropped('./package/p')],
      tree: ['p', 'p/x.js'],
      contents: { 'p/x.js': 'x' },
    })
  })

  it('a file, an entry below it, then a folder entry for it: no warning', () => {
    expect(
      run([
        { path: 'package/p', content: 'first' },
        { path: 'package/p/x.js', content: 'x' },
        { path: 'package/p', type: 'directory' },
      ]),
    ).toEqual({ files: ['p/x.js'], warnings: [], tree: ['p', 'p/x.js'], contents: { 'p/x.js': 'x' } })
  })

  it('a file, a folder entry, the file again: the last file', () => {
    expect(
      run([
        { path: 'package/a', content: 'one' },
        { path: 'package/a', type: 'directory' },
        { path: 'package/a', content: 'two' },
      ]),
    ).toEqual({ files: ['a'], warnings: [], tree: ['a'], contents: { a: 'two' } })
  })

  it('files nested in files: each one needed as a folder is dropped, in list order', () => {
    expect(
      run([
        { path: 'package/a', content: 'a' },
        { path: 'package/a/b', content: 'b' },
        { path: 'package/a/b/c', content: 'c' },
      ]),
    ).toEqual({
      files: ['a/b/c'],
      warnings: [dropped('package/a'), dropped('package/a/b')],
      tree: ['a', 'a/b', 'a/b/c'],
      contents: { 'a/b/c': 'c' },
    })
  })

  it('a file where folder entries lie below: dropped, the folders stay', () => {
    expect(
      run([
        { path: 'package/e/', type: 'directory' },
        { path: 'package/e/f/', type: 'directory' },
        { path: 'package/e', content: 'e' },
      ]),
    ).toEqual({ files: [], warnings: [dropped('package/e')], tree: ['e', 'e/f'], contents: {} })
  })
})
