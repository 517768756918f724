import { describe, expect, it } from 'vitest'
import { parsePackageRequest } from '../src/index.js'

// parsePackageRequest reads a command-line spec as npm-package-arg does (npm 11.19.1's
// `npm install <arg>`, whose saved package.json entries add-specs.test.ts in apps/cli checks).

describe('parsePackageRequest', () => {
  it('reads the registry kinds: a name, a range, a version, a tag, an alias', () => {
    expect(parsePackageRequest('ms')).toEqual({ name: 'ms', spec: '*', type: 'range', packageName: 'ms' })
    expect(parsePackageRequest('@s/a@^1.2.0')).toEqual({
      name: '@s/a',
      spec: '^1.2.0',
      type: 'range',
      packageName: '@s/a',
    })
    expect(parsePackageRequest('ms@1.0.0').type).toBe('version')
    expect(parsePackageRequest('ms@next').type).toBe('tag')
    expect(parsePackageRequest('x@npm:ms@^1')).toEqual({
      name: 'x',
      spec: 'npm:ms@^1',
      type: 'alias',
      packageName: 'ms',
    })
  })

  it('reads folders and tarballs on disk, named or not', () => {
    for (const [arg, type] of [
      ['../lib', 'directory'],
      ['./lib', 'directory'],
      ['/abs/lib', 'directory'],
      ['file:../lib', 'directory'],
      ['sub/dir', 'git'],
      ['a-1.0.0.tgz', 'file'],
      ['./a-1.0.0.tgz', 'file'],
      ['file:a.tar.gz', 'file'],
    ] as const) {
      expect(parsePackageRequest(arg), arg).toEqual({
        name: undefined,
        spec: arg,
        type,
        packageName: undefined,
      })
    }
    expect(parsePackageRequest('mylib@file:../lib')).toEqual({
      name: 'mylib',
      spec: 'file:../lib',
      type: 'directory',
      packageName: 'mylib',
    })
  })

  it('reads tarball URLs and git repositories, hosted ones by shorthand or URL', () => {
    expect(parsePackageRequest('https://host/a-1.0.0.tgz').type).toBe('remote')
    for (const arg of [
      'github:u/r',
      'u/r',
      'u/r#v1.0.0',
      'gitlab:u/r#semver:^1',
      'bitbucket:u/r',
      'git+https://host/r.git#main',
      'git+ssh://git@host/r.git',
      'git://host/r.git',
      'git+file:///srv/r.git',
      'https://github.com/u/r.git',
    ]) {
      expect(parsePackageRequest(arg), arg).toMatchObject({ name: undefined, spec: arg, type: 'git' })
    }
    // scp-like, as npm writes it
    expect(parsePackageRequest('git@host.com:u/r.git').spec).toBe('git+ssh://git@host.com:u/r.git')
    expect(parsePackageRequest('x@github:u/r')).toMatchObject({ name: 'x', spec: 'github:u/r', type: 'git' })
  })

  it('refuses what npm does not add (link:, workspace:, other protocols) and what tote does not serve (gist:)', () => {
    for (const [arg, kind] of [
      ['link:../lib', 'link:'],
      ['lib@workspace:*', 'workspace:'],
      ['svn://host/r', 'svn:'],
      ['gist:abc', 'gist'],
      ['x@npm:y@npm:z', 'alias of an alias'],
    ]) {
      expect(() => parsePackageRequest(arg!), arg).toThrow(
        expect.objectContaining({ code: 'EUNSUPPORTEDSPEC', details: { spec: arg, kind } }),
      )
    }
    expect(() => parsePackageRequest('.bad@1')).toThrow(
      expect.objectContaining({ code: 'EINVALIDPACKAGENAME' }),
    )
    expect(() => parsePackageRequest('ms@not a tag')).toThrow(
      expect.objectContaining({ code: 'EINVALIDTAGNAME' }),
    )
  })
})
