import { createHash } from 'node:crypto'
import { gunzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { createTestRegistry, type RegistryPackages, type TestRegistry } from '../src/index.js'
import { nodeGet, packumentJson } from './_http.js'

const ABBREVIATED = 'application/vnd.npm.install-v1+json'
const NPM_ACCEPT = `${ABBREVIATED}; q=1.0, application/json; q=0.8, */*`

const packages: RegistryPackages = {
  full: {
    versions: {
      '1.0.0': {
        dependencies: { dep: '^1.0.0' },
        devDependencies: { devdep: '^2.0.0' },
        optionalDependencies: { opt: '^3.0.0' },
        peerDependencies: { peer: '^4.0.0' },
        peerDependenciesMeta: { peer: { optional: true } },
        bin: 'cli.js',
        os: ['linux'],
        cpu: ['x64'],
        libc: ['glibc'],
        scripts: { postinstall: 'node setup.js', test: 'vitest' },
        engines: { node: '>=18' },
        license: 'MIT',
        deprecated: 'use 2.x',
      },
      '2.0.0': { scripts: { test: 'vitest' } },
    },
  },
  '@s/x': { versions: { '1.0.0': {} } },
}

let registry: TestRegistry
afterEach(async () => registry?.close())

async function getJson(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(registry.url + path.slice(1), { headers })
  return { response, body: await packumentJson(response) }
}

describe('packuments', () => {
  it('serves the full document like npm: every spec field, _id, dist, time, modified', async () => {
    registry = await createTestRegistry({ packages })
    const { response, body } = await getJson(registry.packumentPath('full'))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(Object.keys(body)).toEqual(['_id', 'name', 'dist-tags', 'versions', 'time', 'modified'])
    expect(body.name).toBe('full')
    expect(body['dist-tags']).toEqual({ latest: '2.0.0' })
    expect(body.versions['1.0.0']).toEqual({
      name: 'full',
      version: '1.0.0',
      bin: { full: 'cli.js' },
      license: 'MIT',
      scripts: { postinstall: 'node setup.js', test: 'vitest' },
      dependencies: { dep: '^1.0.0' },
      devDependencies: { devdep: '^2.0.0' },
      optionalDependencies: { opt: '^3.0.0' },
      peerDependencies: { peer: '^4.0.0' },
      peerDependenciesMeta: { peer: { optional: true } },
      engines: { node: '>=18' },
      os: ['linux'],
      cpu: ['x64'],
      libc: ['glibc'],
      deprecated: 'use 2.x',
      _id: 'full@1.0.0',
      dist: {
        tarball: registry.tarballUrl('full', '1.0.0'),
        integrity: registry.integrity('full', '1.0.0'),
        shasum: registry.shasum('full', '1.0.0'),
        fileCount: 3,
        unpackedSize: expect.any(Number),
      },
      _hasShrinkwrap: false,
    })
    expect(body.time).toEqual({
      created: '2020-01-01T00:00:00.000Z',
      modified: '2020-01-02T00:00:00.000Z',
      '1.0.0': '2020-01-01T00:01:00.000Z',
      '2.0.0': '2020-01-01T00:02:00.000Z',
    })
    expect(body.modified).toBe('2020-01-02T00:00:00.000Z')
  })

  it('serves npm abbreviated metadata for the install Accept header', async () => {
    registry = await createTestRegistry({ packages })
    const { response, body } = await getJson(registry.packumentPath('full'), { accept: NPM_ACCEPT })
    expect(response.headers.get('content-type')).toBe(ABBREVIATED)
    expect(response.headers.get('vary')).toContain('accept')
    expect(Object.keys(body)).toEqual(['name', 'modified', 'dist-tags', 'versions'])
    expect(body.versions['1.0.0']).toEqual({
      name: 'full',
      version: '1.0.0',
      dependencies: { dep: '^1.0.0' },
      optionalDependencies: { opt: '^3.0.0' },
      peerDependencies: { peer: '^4.0.0' },
      peerDependenciesMeta: { peer: { optional: true } },
      engines: { node: '>=18' },
      os: ['linux'],
      cpu: ['x64'],
      libc: ['glibc'],
      deprecated: 'use 2.x',
      bin: { full: 'cli.js' },
      dist: expect.objectContaining({ integrity: registry.integrity('full', '1.0.0') }),
      hasInstallScript: true,
      _hasShrinkwrap: false,
    })
    // Only preinstall/install/postinstall count as install scripts.
    expect(body.versions['2.0.0']).not.toHaveProperty('hasInstallScript')
    expect(body.versions['2.0.0']).not.toHaveProperty('scripts')
  })

  it('serves full documents to the abbreviated Accept header when fullOnly', async () => {
    registry = await createTestRegistry({ packages, fullOnly: true })
    const { response, body } = await getJson(registry.packumentPath('full'), { accept: NPM_ACCEPT })
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(body.versions['1.0.0']!.devDependencies).toEqual({ devdep: '^2.0.0' })
    expect(body.time).toBeDefined()
  })

  it('serves scoped packages on both path styles, with scoped tarball URLs', async () => {
    registry = await createTestRegistry({ packages })
    expect(registry.packumentPath('@s/x')).toBe('/@s%2fx')
    expect(registry.tarballPath('@s/x', '1.0.0')).toBe('/@s/x/-/x-1.0.0.tgz')
    expect(registry.tarballUrl('@s/x', '1.0.0')).toBe(`${registry.url}@s/x/-/x-1.0.0.tgz`)
    const escaped = await getJson('/@s%2fx')
    const plain = await getJson('/@s/x')
    const upper = await getJson('/@s%2Fx')
    expect(escaped.body).toEqual(plain.body)
    expect(upper.body).toEqual(plain.body)
    expect(plain.body.name).toBe('@s/x')
    expect(plain.body.versions['1.0.0']!.dist.tarball).toBe(registry.tarballUrl('@s/x', '1.0.0'))
    for (const path of ['/@s/x/-/x-1.0.0.tgz', '/@s%2fx/-/x-1.0.0.tgz']) {
      const tarball = Buffer.from(await (await fetch(registry.url + path.slice(1))).arrayBuffer())
      expect('sha512-' + createHash('sha512').update(tarball).digest('base64')).toBe(
        registry.integrity('@s/x', '1.0.0'),
      )
    }
  })

  it('defaults latest to the highest release, and merges given dist-tags', async () => {
    registry = await createTestRegistry({
      packages: {
        a: { versions: { '1.9.0': {}, '1.10.0': {}, '2.0.0-beta.1': {}, '0.1.0': {} } },
        b: {
          versions: { '1.0.0': {}, '2.0.0': {}, '3.0.0-rc.0': {} },
          distTags: { latest: '1.0.0', next: '3.0.0-rc.0' },
        },
        c: { versions: { '1.0.0-alpha': {}, '1.0.0-beta': {}, '1.0.0-alpha.1': {} } },
      },
    })
    expect((await getJson('/a')).body['dist-tags']).toEqual({ latest: '1.10.0' })
    expect((await getJson('/b')).body['dist-tags']).toEqual({ latest: '1.0.0', next: '3.0.0-rc.0' })
    expect((await getJson('/c')).body['dist-tags']).toEqual({ latest: '1.0.0-beta' })
    expect(Object.keys((await getJson('/a')).body.versions)).toEqual([
      '0.1.0',
      '1.9.0',
      '1.10.0',
      '2.0.0-beta.1',
    ])
  })

  it('answers 404 with npm-like JSON for unknown packages, versions and paths', async () => {
    registry = await createTestRegistry({ packages })
    for (const path of [
      '/nope',
      '/@s%2fnope',
      registry.tarballPath('full', '9.9.9'),
      '/full/-/other-1.0.0.tgz',
      '/a/b/c',
    ]) {
      const response = await fetch(registry.url + path.slice(1))
      expect(response.status).toBe(404)
      expect(await response.json()).toEqual({ error: 'Not found' })
    }
  })

  it('serves one version’s document by version or dist-tag, as the packument has it', async () => {
    registry = await createTestRegistry({ packages })
    const { body: packument } = await getJson('/full')
    for (const [path, version] of [
      ['/full/latest', '2.0.0'],
      ['/full/1.0.0', '1.0.0'],
      ['/@s%2fx/latest', '1.0.0'],
      ['/@s/x/1.0.0', '1.0.0'],
    ] as const) {
      const response = await fetch(registry.url + path.slice(1))
      expect(response.status).toBe(200)
      const document = (await response.json()) as { version: string }
      expect(document.version).toBe(version)
      if (path.startsWith('/full')) expect(document).toEqual(packument.versions[version])
    }
    for (const path of ['/full/9.9.9', '/full/beta', '/nope/latest']) {
      expect((await fetch(registry.url + path.slice(1))).status).toBe(404)
    }
    await registry.close()
    registry = await createTestRegistry({ packages, versionDocuments: false })
    expect((await fetch(`${registry.url}full/latest`)).status).toBe(404)
    expect((await fetch(`${registry.url}full`)).status).toBe(200)
  })

  it('sends etag and last-modified, and answers If-None-Match / If-Modified-Since with 304', async () => {
    registry = await createTestRegistry({ packages })
    const first = await fetch(registry.url + 'full')
    await first.arrayBuffer()
    const etag = first.headers.get('etag')!
    const lastModified = first.headers.get('last-modified')!
    expect(etag).toMatch(/^W\/"[0-9a-f]{40}"$/)
    expect(lastModified).toBe('Thu, 02 Jan 2020 00:00:00 GMT')

    const byEtag = await fetch(registry.url + 'full', { headers: { 'if-none-match': etag } })
    expect(byEtag.status).toBe(304)
    expect(await byEtag.text()).toBe('')
    expect(byEtag.headers.get('etag')).toBe(etag)
    const strongForm = await fetch(registry.url + 'full', {
      headers: { 'if-none-match': `"x", ${etag.slice(2)}` },
    })
    expect(strongForm.status).toBe(304)
    const byDate = await fetch(registry.url + 'full', { headers: { 'if-modified-since': lastModified } })
    expect(byDate.status).toBe(304)
    const older = await fetch(registry.url + 'full', {
      headers: { 'if-modified-since': 'Wed, 01 Jan 2020 00:00:00 GMT' },
    })
    expect(older.status).toBe(200)
    const otherEtag = await fetch(registry.url + 'full', { headers: { 'if-none-match': 'W/"other"' } })
    expect(otherEtag.status).toBe(200)

    // The abbreviated document is a different representation, with its own etag.
    const abbreviated = await fetch(registry.url + 'full', { headers: { accept: ABBREVIATED } })
    expect(abbreviated.headers.get('etag')).not.toBe(etag)
  })

  it('changes etag and last-modified of the packages addPackages replaces, and only those', async () => {
    registry = await createTestRegistry({ packages })
    const before = await fetch(registry.url + 'full')
    const scopedBefore = await fetch(registry.url + '@s%2fx')
    registry.addPackages({ full: { versions: { '3.0.0': {} } }, added: { versions: { '0.0.1': {} } } })

    const stale = await fetch(registry.url + 'full', {
      headers: { 'if-none-match': before.headers.get('etag')! },
    })
    expect(stale.status).toBe(200)
    expect(stale.headers.get('etag')).not.toBe(before.headers.get('etag'))
    expect(Date.parse(stale.headers.get('last-modified')!)).toBeGreaterThan(
      Date.parse(before.headers.get('last-modified')!),
    )
    expect(Object.keys((await packumentJson(stale)).versions)).toEqual(['3.0.0'])
    const staleByDate = await fetch(registry.url + 'full', {
      headers: { 'if-modified-since': before.headers.get('last-modified')! },
    })
    expect(staleByDate.status).toBe(200)

    const unchanged = await fetch(registry.url + '@s%2fx', {
      headers: { 'if-none-match': scopedBefore.headers.get('etag')! },
    })
    expect(unchanged.status).toBe(304)
    expect((await getJson('/added')).body['dist-tags']).toEqual({ latest: '0.0.1' })
  })

  it('gzips packuments for Accept-Encoding: gzip when compress is on', async () => {
    registry = await createTestRegistry({ packages, compress: true })
    const zipped = await nodeGet(registry.url + 'full', { 'accept-encoding': 'gzip, deflate' })
    expect(zipped.headers['content-encoding']).toBe('gzip')
    expect(zipped.headers.vary).toBe('accept, accept-encoding')
    expect(Number(zipped.headers['content-length'])).toBe(zipped.body.length)
    const plain = await nodeGet(registry.url + 'full')
    expect(plain.headers['content-encoding']).toBeUndefined()
    expect(gunzipSync(zipped.body)).toEqual(plain.body)
    expect(JSON.parse(plain.body.toString()).name).toBe('full')
    // fetch decodes it transparently.
    expect((await packumentJson(await fetch(registry.url + 'full'))).name).toBe('full')
  })

  it('does not gzip unless compress is on', async () => {
    registry = await createTestRegistry({ packages })
    const response = await nodeGet(registry.url + 'full', { 'accept-encoding': 'gzip' })
    expect(response.headers['content-encoding']).toBeUndefined()
    expect(JSON.parse(response.body.toString()).name).toBe('full')
  })

  it('renders reproducible documents: same times and integrity in two registries', async () => {
    registry = await createTestRegistry({ packages })
    const other = await createTestRegistry({ packages })
    try {
      const a = (await getJson('/full')).body
      const b = await packumentJson(await fetch(other.url + 'full'))
      expect(b.time).toEqual(a.time)
      expect(b.versions['1.0.0']!.dist.integrity).toBe(a.versions['1.0.0']!.dist.integrity)
      expect(b.versions['1.0.0']!.dist.tarball).toBe(other.tarballUrl('full', '1.0.0'))
    } finally {
      await other.close()
    }
  })
})
