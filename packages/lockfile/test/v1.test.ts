import { describe, expect, it } from 'vitest'
import { lockfileFormat, parseLockfile, stringifyLockfile } from '../src/index.js'

// npm 6's package-lock.json (lockfileVersion 1) read as npm 7+ reads it: the nested `dependencies`
// tree as `packages` entries keyed by install path.

const v1 = {
  name: 'app',
  version: '1.0.0',
  lockfileVersion: 1,
  requires: true,
  dependencies: {
    a: {
      version: '1.0.0',
      resolved: 'http://127.0.0.1:4873/a/-/a-1.0.0.tgz',
      integrity: 'sha512-a',
      requires: { b: '^1.0.0', d: '^1.0.0' },
      dependencies: {
        b: { version: '1.0.0', resolved: 'http://127.0.0.1:4873/b/-/b-1.0.0.tgz', integrity: 'sha512-b1' },
      },
    },
    b: { version: '2.0.0', resolved: 'http://127.0.0.1:4873/b/-/b-2.0.0.tgz', integrity: 'sha512-b2' },
    d: {
      version: '1.0.0',
      resolved: 'http://127.0.0.1:4873/d/-/d-1.0.0.tgz',
      integrity: 'sha512-d',
      optional: true,
    },
    e: {
      version: '1.0.0',
      resolved: 'http://127.0.0.1:4873/e/-/e-1.0.0.tgz',
      integrity: 'sha512-e',
      dev: true,
    },
    f: {
      version: 'npm:b@1.5.0',
      resolved: 'http://127.0.0.1:4873/b/-/b-1.5.0.tgz',
      integrity: 'sha512-b15',
    },
    lib: { version: 'file:vendor/lib', requires: { b: '^2.0.0' } },
    g: {
      version: 'git+ssh://git@example.test/g.git#0123456789abcdef0123456789abcdef01234567',
      from: 'git+ssh://git@example.test/g.git',
    },
    h: { version: '1.0.0', bundled: true },
  },
}

describe('a version 1 lockfile', () => {
  it('becomes packages entries as npm 7+ loads them', () => {
    const lockfile = parseLockfile(`${JSON.stringify(v1, null, 2)}\n`)
    expect(lockfileFormat(lockfile)?.lockfileVersion).toBe(1)
    expect(lockfile.lockfileVersion).toBe(3)
    expect(lockfile.packages).toEqual({
      '': { name: 'app', version: '1.0.0' },
      'node_modules/a': {
        version: '1.0.0',
        resolved: 'http://127.0.0.1:4873/a/-/a-1.0.0.tgz',
        integrity: 'sha512-a',
        dependencies: { b: '^1.0.0' },
        // d is optional where a is not: an optional dependency of a's
        optionalDependencies: { d: '^1.0.0' },
      },
      'node_modules/a/node_modules/b': {
        version: '1.0.0',
        resolved: 'http://127.0.0.1:4873/b/-/b-1.0.0.tgz',
        integrity: 'sha512-b1',
      },
      'node_modules/b': {
        version: '2.0.0',
        resolved: 'http://127.0.0.1:4873/b/-/b-2.0.0.tgz',
        integrity: 'sha512-b2',
      },
      'node_modules/d': {
        version: '1.0.0',
        resolved: 'http://127.0.0.1:4873/d/-/d-1.0.0.tgz',
        integrity: 'sha512-d',
        optional: true,
      },
      'node_modules/e': {
        version: '1.0.0',
        resolved: 'http://127.0.0.1:4873/e/-/e-1.0.0.tgz',
        integrity: 'sha512-e',
        dev: true,
      },
      'node_modules/f': {
        name: 'b',
        version: '1.5.0',
        resolved: 'http://127.0.0.1:4873/b/-/b-1.5.0.tgz',
        integrity: 'sha512-b15',
      },
      'node_modules/lib': { resolved: 'vendor/lib', link: true },
      'vendor/lib': { dependencies: { b: '^2.0.0' } },
      'node_modules/g': {
        resolved: 'git+ssh://git@example.test/g.git#0123456789abcdef0123456789abcdef01234567',
      },
      'node_modules/h': { version: '1.0.0', inBundle: true },
    })
  })

  it('is written back as version 3, without the v1 tree', () => {
    const text = stringifyLockfile(parseLockfile(JSON.stringify(v1)))
    const written = JSON.parse(text) as Record<string, unknown>
    expect(written.lockfileVersion).toBe(3)
    expect(written.dependencies).toBeUndefined()
    expect(Object.keys(written.packages as object)).toContain('node_modules/a/node_modules/b')
  })
})
