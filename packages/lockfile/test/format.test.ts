import type { Lockfile } from '@tote/types'
import { describe, expect, it } from 'vitest'
import { detectJsonFormat, lockfileFormat, parseLockfile, stringifyLockfile } from '../src/index.js'
import { FIXTURES, fixtureText, seededRandom, shuffleKeys } from './_fixtures.js'

describe('stringifyLockfile', () => {
  it.each(FIXTURES)('writes back the %s lockfile npm wrote, byte for byte', (name) => {
    const text = fixtureText(name)
    expect(stringifyLockfile(parseLockfile(text))).toBe(text)
  })

  it.each(FIXTURES)('writes the same bytes for %s whatever order its keys were inserted in', (name) => {
    const text = fixtureText(name)
    const lockfile = JSON.parse(text) as Lockfile
    const options = { ...detectJsonFormat(text) }
    for (const seed of [1, 2, 3]) {
      const shuffled = shuffleKeys(lockfile, seededRandom(seed))
      expect(Object.keys(shuffled.packages)).not.toEqual(Object.keys(lockfile.packages))
      expect(stringifyLockfile(shuffled, options)).toBe(text)
    }
  })

  it('orders an entry with every field as npm does: scalars and arrays, then objects', () => {
    const entry = {
      peerDependenciesMeta: { b: { optional: true } },
      os: ['linux'],
      funding: { url: 'https://example.test/fund' },
      link: true,
      engines: { node: '>=18' },
      peer: true,
      optionalDependencies: { o: '^1.0.0' },
      libc: ['glibc'],
      bin: { cli: 'cli.js' },
      license: 'MIT',
      inBundle: true,
      devDependencies: { d: '^1.0.0' },
      hasShrinkwrap: true,
      acceptDependencies: { a: '^1 || ^2' },
      hasInstallScript: true,
      peerDependencies: { b: '^1.0.0' },
      devOptional: true,
      dependencies: { a: '^1.0.0' },
      dev: true,
      deprecated: 'use something else',
      cpu: ['x64'],
      bundleDependencies: ['a'],
      optional: true,
      integrity: 'sha512-AAAA',
      resolved: 'http://127.0.0.1:4873/real/-/real-1.0.0.tgz',
      version: '1.0.0',
      name: 'real',
    }
    const lockfile: Lockfile = { lockfileVersion: 3, packages: { 'node_modules/alias': entry } }
    const written = JSON.parse(stringifyLockfile(lockfile)) as Lockfile
    expect(Object.keys(written.packages['node_modules/alias']!)).toEqual([
      'name',
      'version',
      'resolved',
      'integrity',
      'bundleDependencies',
      'cpu',
      'deprecated',
      'dev',
      'devOptional',
      'hasInstallScript',
      'hasShrinkwrap',
      'inBundle',
      'libc',
      'license',
      'link',
      'optional',
      'os',
      'peer',
      'dependencies',
      'acceptDependencies',
      'bin',
      'devDependencies',
      'engines',
      'funding',
      'optionalDependencies',
      'peerDependencies',
      'peerDependenciesMeta',
    ])
  })

  it('puts the top level in npm order and leaves out fields that are undefined', () => {
    const lockfile: Lockfile = {
      packages: { '': { version: '1.0.0', name: 'app' } },
      requires: true,
      lockfileVersion: 3,
      version: undefined,
      name: 'app',
    }
    expect(stringifyLockfile(lockfile)).toBe(
      '{\n  "name": "app",\n  "lockfileVersion": 3,\n  "requires": true,\n  "packages": {\n' +
        '    "": {\n      "name": "app",\n      "version": "1.0.0"\n    }\n  }\n}\n',
    )
  })

  it('sorts keys by en collation, with npm preferred names first and integer-like keys before all', () => {
    const dependencies = {
      under_score: '1',
      'b-dep': '1',
      'A-dep': '1',
      'a-dep': '1',
      '7seven': '1',
      '@scope/pkg': '1',
      version: '1',
      name: '1',
      '123': '1',
      'string-argv': '1',
      string_decoder: '1',
    }
    const lockfile: Lockfile = { lockfileVersion: 3, packages: { 'node_modules/x': { dependencies } } }
    const written = JSON.parse(stringifyLockfile(lockfile)) as Lockfile
    expect(Object.keys(written.packages['node_modules/x']!.dependencies!)).toEqual([
      '123',
      'name',
      'version',
      '@scope/pkg',
      '7seven',
      'a-dep',
      'A-dep',
      'b-dep',
      'string_decoder',
      'string-argv',
      'under_score',
    ])
  })

  it('keeps array order (os, cpu) and can sort for another locale', () => {
    const lockfile: Lockfile = {
      lockfileVersion: 3,
      packages: {
        'node_modules/zz': { os: ['win32', 'linux'] },
        'node_modules/aa': { cpu: ['x64', 'arm64'] },
      },
    }
    expect(stringifyLockfile(lockfile).indexOf('"win32",\n        "linux"')).toBeGreaterThan(0)
    const en = Object.keys((JSON.parse(stringifyLockfile(lockfile)) as Lockfile).packages)
    // Danish collates "aa" after "z", as npm does when it runs with LANG=da_DK.
    const danish = Object.keys(
      (JSON.parse(stringifyLockfile(lockfile, { locale: 'da' })) as Lockfile).packages,
    )
    expect(en).toEqual(['node_modules/aa', 'node_modules/zz'])
    expect(danish).toEqual(['node_modules/zz', 'node_modules/aa'])
  })

  it('uses the indent and newline the text had, unless told otherwise', () => {
    const text = fixtureText('tabs-crlf')
    const lockfile = parseLockfile(text)
    expect(lockfileFormat(lockfile)).toEqual({ indent: '\t', newline: '\r\n', lockfileVersion: 3 })
    const spaces = stringifyLockfile(lockfile, { indent: 4, newline: '\n' })
    expect(spaces.startsWith('{\n    "name": "dup",\n    "version"')).toBe(true)
    expect(spaces).not.toContain('\r')
    expect(stringifyLockfile(lockfile, { indent: '  ' }).startsWith('{\r\n  "name"')).toBe(true)
    // A copy loses the remembered layout and gets npm's default.
    expect(stringifyLockfile({ ...lockfile }).startsWith('{\n  "name"')).toBe(true)
    // npm treats an empty indent (a one-line file) as its default of two spaces.
    expect(stringifyLockfile(lockfile, { indent: '' }).startsWith('{\r\n  "name"')).toBe(true)
    expect(stringifyLockfile(lockfile, { indent: 0 }).startsWith('{\r\n  "name"')).toBe(true)
  })

  it('rejects a cycle instead of overflowing the stack', () => {
    const entry: Record<string, unknown> = { version: '1.0.0' }
    entry.self = entry
    expect(() => stringifyLockfile({ lockfileVersion: 3, packages: { 'node_modules/a': entry } })).toThrow(
      /cycle/,
    )
  })
})

describe('detectJsonFormat', () => {
  it('reads the indent and newline from the first nested line, as npm does', () => {
    expect(detectJsonFormat('{\n    "a": 1\n}\n')).toEqual({ indent: '    ', newline: '\n' })
    expect(detectJsonFormat('\uFEFF{\r\n\t"a": 1\r\n}\r\n')).toEqual({ indent: '\t', newline: '\r\n' })
    expect(detectJsonFormat('{"a":1}')).toEqual({ indent: '  ', newline: '\n' })
    expect(detectJsonFormat('{}\n')).toEqual({ indent: '  ', newline: '\n' })
    expect(detectJsonFormat('{\r\n"a": 1\r\n}')).toEqual({ indent: '  ', newline: '\r\n' })
  })
})

describe('parseLockfile of version 2', () => {
  it('drops the legacy dependencies section and reads as the v3 file npm writes', () => {
    const v2 = fixtureText('tabs-crlf', 'package-lock.v2.json')
    const lockfile = parseLockfile(v2)
    expect(lockfile.lockfileVersion).toBe(3)
    expect(lockfile).not.toHaveProperty('dependencies')
    expect(lockfileFormat(lockfile)?.lockfileVersion).toBe(2)
    expect(stringifyLockfile(lockfile)).toBe(fixtureText('tabs-crlf'))
  })
})
