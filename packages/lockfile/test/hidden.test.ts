import type { LockfilePackage } from '@tote/types'
import { describe, expect, it } from 'vitest'
import { hiddenLockfile, parseLockfile, stringifyLockfile } from '../src/index.js'
import { fixtureText } from './_fixtures.js'

/** npm's os/cpu test: a list of allowed values, or of `!`-prefixed excluded ones. */
function allows(list: string[] | undefined, value: string): boolean {
  if (list === undefined || list.length === 0) return true
  if (list.includes(`!${value}`)) return false
  return list.includes(value) || list.every((item) => item.startsWith('!'))
}

// The machine npm installed the features fixture on.
const onLinuxX64 = (_path: string, entry: LockfilePackage) =>
  allows(entry.os, 'linux') && allows(entry.cpu, 'x64')

describe('hiddenLockfile', () => {
  it('makes the node_modules/.package-lock.json npm wrote after installing, byte for byte', () => {
    const lockfile = parseLockfile(fixtureText('features'))
    const hidden = hiddenLockfile(lockfile, { isInstalled: onLinuxX64 })
    expect(stringifyLockfile(hidden)).toBe(fixtureText('features', 'hidden-package-lock.json'))
  })

  it('has no root entry, keeps the top level and the entries, and follows the lockfile layout', () => {
    const lockfile = parseLockfile(fixtureText('tabs-crlf'))
    const hidden = hiddenLockfile(lockfile)
    expect(Object.keys(hidden.packages)).toEqual(Object.keys(lockfile.packages).filter((path) => path !== ''))
    expect(hidden).toMatchObject({ name: 'dup', version: '1.0.0', lockfileVersion: 3, requires: true })
    expect(hidden.packages['node_modules/is-odd']).toEqual(lockfile.packages['node_modules/is-odd'])
    expect(hidden.packages['node_modules/is-odd']).not.toBe(lockfile.packages['node_modules/is-odd'])
    expect(stringifyLockfile(hidden).startsWith('{\r\n\t"name": "dup"')).toBe(true)
  })

  it('leaves out what was not installed and everything nested under it', () => {
    const lockfile = parseLockfile(fixtureText('tabs-crlf'))
    const hidden = hiddenLockfile(lockfile, { isInstalled: (_path, entry) => entry.dev !== true })
    expect(Object.keys(hidden.packages)).toEqual(['node_modules/is-number'])
    const nestedKept = hiddenLockfile(lockfile, { isInstalled: (path) => path !== 'node_modules/is-number' })
    expect(Object.keys(nestedKept.packages)).toEqual([
      'node_modules/is-odd',
      'node_modules/is-odd/node_modules/is-number',
    ])
  })
})
