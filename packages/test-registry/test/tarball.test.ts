import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createTarball, createTestRegistry, type TestRegistry } from '../src/index.js'
import { type PackumentJson, packumentJson } from './_http.js'
import { readTar } from './_tar-reader.js'

const scratch = mkdtempSync(join(tmpdir(), 'tote-test-registry-tgz-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

let registry: TestRegistry
afterEach(async () => registry?.close())

async function download(name: string, version: string) {
  const response = await fetch(registry.tarballUrl(name, version))
  return { response, bytes: Buffer.from(await response.arrayBuffer()) }
}

async function packument(name: string): Promise<PackumentJson> {
  return packumentJson(await fetch(registry.url + registry.packumentPath(name).slice(1)))
}

describe('tarballs', () => {
  it('packs the default index.js and a package.json generated from the spec', async () => {
    registry = await createTestRegistry({
      packages: {
        '@s/dflt': {
          versions: {
            '1.2.3': {
              dependencies: { a: '^1.0.0' },
              optionalDependencies: { o: '1' },
              scripts: { install: 'node i.js' },
              os: ['darwin'],
              cpu: ['arm64'],
              libc: ['musl'],
              engines: { node: '>=20' },
              license: 'ISC',
              deprecated: 'not in package.json',
            },
          },
        },
      },
    })
    const { response, bytes } = await download('@s/dflt', '1.2.3')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/octet-stream')
    expect(Number(response.headers.get('content-length'))).toBe(bytes.length)
    const entries = readTar(bytes)
    expect(entries.map((entry) => [entry.path, entry.typeflag, entry.mode, entry.mtime])).toEqual([
      ['package/package.json', '0', 0o644, 499162500],
      ['package/index.js', '0', 0o644, 499162500],
    ])
    expect(JSON.parse(entries[0]!.content.toString())).toEqual({
      name: '@s/dflt',
      version: '1.2.3',
      license: 'ISC',
      scripts: { install: 'node i.js' },
      dependencies: { a: '^1.0.0' },
      optionalDependencies: { o: '1' },
      engines: { node: '>=20' },
      os: ['darwin'],
      cpu: ['arm64'],
      libc: ['musl'],
    })
    const exported: { exports: unknown } = { exports: {} }
    new Function('module', entries[1]!.content.toString())(exported)
    expect(exported.exports).toEqual({ name: '@s/dflt', version: '1.2.3' })
  })

  it('packs given files with directories and modes; bin targets are executable, missing ones generated', async () => {
    registry = await createTestRegistry({
      packages: {
        tool: {
          versions: {
            '1.0.0': {
              bin: { tool: './bin/tool.js', helper: 'bin/helper.js' },
              files: {
                'bin/tool.js': '#!/usr/bin/env node\n',
                'lib/deep/nested/x.js': 'x',
                'secret.txt': { content: 'private', mode: 0o600 },
                'data.bin': new Uint8Array([0, 255, 1]),
              },
            },
          },
        },
      },
    })
    const { bytes } = await download('tool', '1.0.0')
    const entries = readTar(bytes)
    expect(entries.map((entry) => [entry.path, entry.mode.toString(8)])).toEqual([
      ['package/package.json', '644'],
      ['package/bin/helper.js', '755'],
      ['package/bin/tool.js', '755'],
      ['package/data.bin', '644'],
      ['package/lib/deep/nested/x.js', '644'],
      ['package/secret.txt', '600'],
    ])
    expect(entries[1]!.content.toString()).toMatch(/^#!\/usr\/bin\/env node\n/)
    expect(entries[3]!.content).toEqual(Buffer.from([0, 255, 1]))
    expect(JSON.parse(entries[0]!.content.toString()).bin).toEqual({
      tool: './bin/tool.js',
      helper: 'bin/helper.js',
    })

    // GNU tar agrees.
    const file = join(scratch, 'tool.tgz')
    writeFileSync(file, bytes)
    const listing = execFileSync('tar', ['-tvzf', file], { encoding: 'utf8' })
    expect(listing).toMatch(/-rwxr-xr-x .* package\/bin\/tool\.js/)
    expect(listing).toMatch(/-rw------- .* package\/secret\.txt/)

    const dist = (await packument('tool')).versions['1.0.0']!.dist
    expect(dist.fileCount).toBe(6)
    expect(dist.unpackedSize).toBe(entries.reduce((sum, entry) => sum + entry.size, 0))
  })

  it('uses a package.json given in files verbatim', async () => {
    const custom = '{"name":"other-name","version":"9.9.9","main":"main.js"}'
    registry = await createTestRegistry({
      packages: { custom: { versions: { '1.0.0': { files: { 'package.json': custom, 'main.js': '' } } } } },
    })
    const entries = readTar((await download('custom', '1.0.0')).bytes)
    expect(entries.find((entry) => entry.path === 'package/package.json')!.content.toString()).toBe(custom)
    expect(entries.map((entry) => entry.path)).toEqual(['package/package.json', 'package/main.js'])
  })

  it('advertises the sha512 integrity and sha1 shasum of the bytes it serves', async () => {
    registry = await createTestRegistry({
      packages: { a: { versions: { '1.0.0': {}, '1.1.0': { files: { 'a.js': 'a' } } } } },
    })
    const doc = await packument('a')
    for (const version of ['1.0.0', '1.1.0']) {
      const { bytes } = await download('a', version)
      const sha512 = 'sha512-' + createHash('sha512').update(bytes).digest('base64')
      const sha1 = createHash('sha1').update(bytes).digest('hex')
      expect(doc.versions[version]!.dist.integrity).toBe(sha512)
      expect(doc.versions[version]!.dist.shasum).toBe(sha1)
      expect(registry.integrity('a', version)).toBe(sha512)
      expect(registry.shasum('a', version)).toBe(sha1)
    }
    expect(registry.integrity('a', '1.0.0')).not.toBe(registry.integrity('a', '1.1.0'))
  })

  it('builds the same bytes (so the same integrity) in every registry', async () => {
    const spec = { packages: { a: { versions: { '1.0.0': { files: { 'x/y.js': 'y' } } } } } }
    registry = await createTestRegistry(spec)
    const other = await createTestRegistry(spec)
    try {
      expect(other.integrity('a', '1.0.0')).toBe(registry.integrity('a', '1.0.0'))
      const bytes = Buffer.from(await (await fetch(other.tarballUrl('a', '1.0.0'))).arrayBuffer())
      expect(bytes).toEqual((await download('a', '1.0.0')).bytes)
    } finally {
      await other.close()
    }
  })

  it('serves raw tarball bytes as given, with integrity computed over them', async () => {
    const hostile = createTarball([{ path: '../escape.js', content: 'evil' }])
    const notEvenGzip = new TextEncoder().encode('this is not a tarball')
    registry = await createTestRegistry({
      packages: { evil: { versions: { '1.0.0': { tarball: hostile }, '2.0.0': { tarball: notEvenGzip } } } },
    })
    const doc = await packument('evil')
    for (const [version, raw] of [
      ['1.0.0', hostile],
      ['2.0.0', notEvenGzip],
    ] as const) {
      const { bytes } = await download('evil', version)
      expect(bytes).toEqual(Buffer.from(raw))
      expect(doc.versions[version]!.dist.integrity).toBe(
        'sha512-' + createHash('sha512').update(raw).digest('base64'),
      )
      expect(doc.versions[version]!.dist).not.toHaveProperty('fileCount')
    }
    expect(readTar((await download('evil', '1.0.0')).bytes)[0]!.path).toBe('../escape.js')
  })

  it('throws for integrity or shasum of an unknown package or version', async () => {
    registry = await createTestRegistry({ packages: { a: { versions: { '1.0.0': {} } } } })
    expect(() => registry.integrity('a', '2.0.0')).toThrow(/a@2\.0\.0/)
    expect(() => registry.shasum('b', '1.0.0')).toThrow(/b@1\.0\.0/)
  })

  it('answers tarball requests with etag validators', async () => {
    registry = await createTestRegistry({ packages: { a: { versions: { '1.0.0': {} } } } })
    const { response } = await download('a', '1.0.0')
    expect(response.headers.get('etag')).toBe(`"${registry.shasum('a', '1.0.0')}"`)
    const again = await fetch(registry.tarballUrl('a', '1.0.0'), {
      headers: { 'if-none-match': response.headers.get('etag')! },
    })
    expect(again.status).toBe(304)
  })
})
