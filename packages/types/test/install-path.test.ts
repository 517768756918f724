import { describe, expect, it } from 'vitest'
import { isInstallPathInside, lockfileKeyProblem, packageNameProblem } from '../src/index.js'

describe('lockfileKeyProblem', () => {
  it.each([
    '',
    'node_modules/ms',
    'node_modules/@scope/name',
    'node_modules/a/node_modules/@s/b/node_modules/c',
    'packages/app',
    'packages/app/node_modules/lodash',
    '../shared-lib',
    '../../lib/node_modules/x',
    'node_modules/JSONStream',
    'node_modules/a_b-c.d',
  ])('accepts %j', (key) => {
    expect(lockfileKeyProblem(key)).toBeUndefined()
  })

  it.each([
    ['node_modules/..', /"\.\."/],
    ['node_modules/ms/node_modules/../../../../victim', /"\.\."/],
    ['node_modules/.bin', /start with "\."/],
    ['node_modules/.package-lock.json', /start with "\."/],
    ['node_modules/@s/..', /not a plain folder name/],
    ['node_modules/@../x', /scope/],
    ['node_modules/@s', /"@s\/" after node_modules/],
    ['node_modules', /ends with node_modules/],
    ['node_modules/a/node_modules', /ends with node_modules/],
    ['node_modules/a/b', /follows a package folder/],
    ['node_modules/a/../b', /follows a package folder/],
    ['node_modules/node_modules', /called node_modules/],
    ['node_modules/a\\..\\..\\x', /plain folder name/],
    ['/etc/passwd', /absolute/],
    ['C:/x/node_modules/a', /absolute/],
    ['..', /names no folder/],
    ['packages/../../x', /plain folder name/],
    ['packages//x', /plain folder name/],
    ['packages/./x', /plain folder name/],
    ['node_modules/a/', /""/],
    ['node_modules/a\0b', /plain folder name/],
  ])('refuses %j', (key, reason) => {
    expect(lockfileKeyProblem(key)).toMatch(reason)
  })
})

describe('isInstallPathInside', () => {
  it('is true for install paths in the project only', () => {
    expect(isInstallPathInside('node_modules/a')).toBe(true)
    expect(isInstallPathInside('packages/app/node_modules/a')).toBe(true)
    expect(isInstallPathInside('')).toBe(false)
    expect(isInstallPathInside('../lib/node_modules/a')).toBe(false)
    expect(isInstallPathInside('node_modules/..')).toBe(false)
  })
})

describe('packageNameProblem', () => {
  it('accepts names and scoped names, refuses what is not one folder', () => {
    expect(packageNameProblem('react')).toBeUndefined()
    expect(packageNameProblem('@types/node')).toBeUndefined()
    expect(packageNameProblem('../x')).toBeDefined()
    expect(packageNameProblem('a/b')).toBeDefined()
    expect(packageNameProblem('@s/x/y')).toBeDefined()
    expect(packageNameProblem('.hidden')).toBeDefined()
  })
})
