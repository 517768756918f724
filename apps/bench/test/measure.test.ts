import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkInstall, checkProblem, treeSize } from '../src/_measure.js'

function project(manifest: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'pm-bench-measure-'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest))
  return dir
}

function installPackage(dir: string, name: string): void {
  mkdirSync(join(dir, name), { recursive: true })
  writeFileSync(join(dir, name, 'package.json'), `{"name":"${name}"}`)
}

describe('treeSize', () => {
  it('counts regular files and their sizes, without following symlinks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-bench-tree-'))
    mkdirSync(join(dir, 'a', 'b'), { recursive: true })
    writeFileSync(join(dir, 'a', 'one.js'), '12345')
    writeFileSync(join(dir, 'a', 'b', 'two.js'), '123')
    symlinkSync(join(dir, 'a'), join(dir, 'link'))
    expect(treeSize(dir)).toEqual({ files: 2, bytes: 8 })
    expect(treeSize(join(dir, 'missing'))).toBeUndefined()
  })
})

describe('checkInstall', () => {
  it('passes when the lockfile is written and every direct dependency resolves, also through symlinks', () => {
    const dir = project({ dependencies: { a: '1' }, devDependencies: { '@s/b': '1' } })
    writeFileSync(join(dir, 'pnpm-lock.yaml'), 'lockfileVersion: 9\n')
    installPackage(join(dir, 'node_modules'), 'a')
    installPackage(join(dir, 'store'), '@s/b')
    mkdirSync(join(dir, 'node_modules', '@s'))
    symlinkSync(join(dir, 'store', '@s', 'b'), join(dir, 'node_modules', '@s', 'b'))
    const checks = checkInstall({ projectDir: dir, lockfileName: 'pnpm-lock.yaml', installs: true })
    expect(checks).toEqual({ lockfileWritten: true, missingDependencies: [], missingOptional: [] })
    expect(checkProblem(checks, 'pnpm-lock.yaml')).toBeUndefined()
  })

  it('fails on a missing lockfile or dependency; a missing optional dependency is only reported', () => {
    const dir = project({
      dependencies: { a: '1' },
      devDependencies: { b: '1' },
      optionalDependencies: { c: '1' },
    })
    installPackage(join(dir, 'node_modules'), 'a')
    const checks = checkInstall({ projectDir: dir, lockfileName: 'bun.lock', installs: true })
    expect(checks).toEqual({ lockfileWritten: false, missingDependencies: ['b'], missingOptional: ['c'] })
    expect(checkProblem(checks, 'bun.lock')).toBe(
      'no bun.lock written; 1 direct dependencies not installed (b)',
    )
  })

  it('only wants the lockfile when the phase does not install', () => {
    const dir = project({ dependencies: { a: '1' } })
    writeFileSync(join(dir, 'package-lock.json'), '{}')
    const checks = checkInstall({ projectDir: dir, lockfileName: 'package-lock.json', installs: false })
    expect(checkProblem(checks, 'package-lock.json')).toBeUndefined()
    writeFileSync(join(dir, 'package-lock.json'), '')
    const empty = checkInstall({ projectDir: dir, lockfileName: 'package-lock.json', installs: false })
    expect(checkProblem(empty, 'package-lock.json')).toBe('no package-lock.json written')
  })
})
