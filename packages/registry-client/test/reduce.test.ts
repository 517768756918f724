import { describe, expect, it } from 'vitest'
import { normaliseBin, reducePackument } from '../src/index.js'

const dist = {
  tarball: 'http://127.0.0.1:1/a/-/a-1.0.0.tgz',
  integrity: 'sha512-x',
  shasum: 'ab',
  fileCount: 3,
}

describe('reducePackument', () => {
  it('keeps the old array forms of engines and license, and workspaces, as the npm lockfile does', () => {
    const packument = reducePackument(
      {
        name: 'old',
        'dist-tags': { latest: '1.0.0' },
        versions: {
          '1.0.0': {
            name: 'old',
            version: '1.0.0',
            engines: ['node >= 0.8.0'],
            license: ['MIT', 'Apache2'],
            workspaces: ['packages/*'],
            dist: { tarball: 'http://127.0.0.1/old.tgz' },
          },
        },
      },
      'old',
    )
    expect(packument?.versions['1.0.0']).toMatchObject({
      engines: ['node >= 0.8.0'],
      license: ['MIT', 'Apache2'],
      workspaces: ['packages/*'],
    })
  })

  it('keeps the manifest fields and drops everything else', () => {
    const packument = reducePackument(
      {
        _id: 'a',
        name: 'a',
        readme: 'long text',
        time: { modified: '2024-01-02T00:00:00.000Z', '1.0.0': '2024-01-01T00:00:00.000Z' },
        'dist-tags': { latest: '1.0.0' },
        maintainers: [{ name: 'x' }],
        versions: {
          '1.0.0': {
            name: 'a',
            version: '1.0.0',
            description: 'dropped',
            readme: 'dropped too',
            devDependencies: { vitest: '1' },
            dependencies: { b: '^1.0.0' },
            optionalDependencies: { c: '1' },
            peerDependencies: { d: '2' },
            peerDependenciesMeta: { d: { optional: true } },
            bundledDependencies: ['b'],
            engines: { node: '>=18' },
            os: 'linux',
            cpu: ['x64'],
            libc: ['glibc'],
            license: { type: 'MIT', url: 'x' },
            deprecated: 'use e',
            funding: { url: 'f' },
            scripts: { test: 'vitest', postinstall: 'node setup.js' },
            dist,
          },
        },
      },
      'a',
    )
    expect(packument).toEqual({
      name: 'a',
      'dist-tags': { latest: '1.0.0' },
      modified: '2024-01-02T00:00:00.000Z',
      versions: {
        '1.0.0': {
          name: 'a',
          version: '1.0.0',
          dependencies: { b: '^1.0.0' },
          optionalDependencies: { c: '1' },
          peerDependencies: { d: '2' },
          peerDependenciesMeta: { d: { optional: true } },
          bundleDependencies: ['b'],
          engines: { node: '>=18' },
          os: ['linux'],
          cpu: ['x64'],
          libc: ['glibc'],
          license: 'MIT',
          deprecated: 'use e',
          funding: { url: 'f' },
          hasInstallScript: true,
          dist: { tarball: dist.tarball, integrity: 'sha512-x', shasum: 'ab' },
        },
      },
    })
  })

  it('sets hasInstallScript from the abbreviated flag, install scripts, or a gyp file; not from other scripts', () => {
    const versions = {
      abbreviated: { hasInstallScript: true },
      preinstall: { scripts: { preinstall: 'x' } },
      install: { scripts: { install: 'node-gyp rebuild' } },
      gyp: { gypfile: true },
      none: { scripts: { test: 'x', prepare: 'y' } },
    }
    const doc = {
      name: 'a',
      versions: Object.fromEntries(
        Object.entries(versions).map(([key, fields]) => [key, { ...fields, dist }]),
      ),
    }
    const reduced = reducePackument(doc, 'a')!
    const flags = Object.fromEntries(
      Object.entries(reduced.versions).map(([key, manifest]) => [key, manifest.hasInstallScript ?? false]),
    )
    expect(flags).toEqual({ abbreviated: true, preinstall: true, install: true, gyp: true, none: false })
  })

  it('takes a modified date from an abbreviated document, and skips versions without a tarball', () => {
    const reduced = reducePackument(
      {
        name: 'a',
        modified: '2025-05-05T00:00:00.000Z',
        versions: { '1.0.0': { dist }, '2.0.0': { dist: {} } },
      },
      'a',
    )!
    expect(reduced.modified).toBe('2025-05-05T00:00:00.000Z')
    expect(Object.keys(reduced.versions)).toEqual(['1.0.0'])
    expect(reduced.versions['1.0.0']).toMatchObject({ name: 'a', version: '1.0.0' })
    expect(reduced['dist-tags']).toEqual({})
  })

  it('returns undefined for something that is not a document', () => {
    expect(reducePackument([1, 2], 'a')).toBeUndefined()
    expect(reducePackument('a', 'a')).toBeUndefined()
  })
})

describe('normaliseBin', () => {
  it('turns the string form into { unscoped name: path }', () => {
    expect(normaliseBin('./cli.js', '@scope/tool')).toEqual({ tool: 'cli.js' })
    expect(normaliseBin('bin/run', 'tool')).toEqual({ tool: 'bin/run' })
  })

  it('cleans names and paths like npm: no escaping the package folder, no backslashes', () => {
    expect(
      normaliseBin(
        { '../evil': '../../etc/passwd', 'a\\b': '.\\bin\\b.js', 'c:d': '/abs/d.js', ok: 'x.js' },
        'p',
      ),
    ).toEqual({ evil: 'etc/passwd', b: 'bin/b.js', d: 'abs/d.js', ok: 'x.js' })
  })

  it('drops entries that end up empty or are not strings, and the whole map when nothing is left', () => {
    expect(normaliseBin({ '': 'x.js', a: '..', b: 3 }, 'p')).toBeUndefined()
    expect(normaliseBin(['bin/one.js', 'two'], 'p')).toEqual({ 'one.js': 'bin/one.js', two: 'two' })
    expect(normaliseBin(42, 'p')).toBeUndefined()
  })
})
