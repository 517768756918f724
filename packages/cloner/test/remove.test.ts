import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { removeExtraneous } from '../src/index.js'
import { scratch } from './helpers.js'

function makePackages(project: string, paths: string[]): void {
  for (const path of paths) {
    mkdirSync(join(project, path, 'lib'), { recursive: true })
    writeFileSync(join(project, path, 'package.json'), '{}')
  }
}

describe('removeExtraneous', () => {
  it('removes package folders not kept, at every depth and scope, and leaves dot entries alone', async () => {
    const project = scratch()
    makePackages(project, [
      'node_modules/keep',
      'node_modules/gone',
      'node_modules/@s/keep',
      'node_modules/@s/gone',
      'node_modules/@empty/gone',
      'node_modules/keep/node_modules/nested-keep',
      'node_modules/keep/node_modules/nested-gone',
      'node_modules/keep/node_modules/@t/gone',
      'node_modules/gone/node_modules/inside-gone',
    ])
    mkdirSync(join(project, 'node_modules/.bin'))
    symlinkSync('../keep/cli.js', join(project, 'node_modules/.bin/keep'))
    mkdirSync(join(project, 'node_modules/.cache/some-tool'), { recursive: true })
    mkdirSync(join(project, 'node_modules/keep/node_modules/.bin'))
    writeFileSync(join(project, 'node_modules/.package-lock.json'), '{}')
    const keep = new Set([
      'node_modules/keep',
      'node_modules/@s/keep',
      'node_modules/keep/node_modules/nested-keep',
      // Kept paths below a removed folder do not save it.
      'node_modules/gone/node_modules/inside-gone',
    ])
    const { removed } = await removeExtraneous({ projectDir: project, keep })
    expect(removed).toEqual([
      'node_modules/@empty/gone',
      'node_modules/@s/gone',
      'node_modules/gone',
      'node_modules/keep/node_modules/@t/gone',
      'node_modules/keep/node_modules/nested-gone',
    ])
    expect(readdirSync(join(project, 'node_modules')).sort()).toEqual([
      '.bin',
      '.cache',
      '.package-lock.json',
      '@s',
      'keep',
    ])
    expect(readdirSync(join(project, 'node_modules/@s'))).toEqual(['keep'])
    // Its .bin was empty: a folder whose packages went keeps no empty .bin.
    expect(readdirSync(join(project, 'node_modules/keep/node_modules'))).toEqual(['nested-keep'])
    expect(existsSync(join(project, 'node_modules/.cache/some-tool'))).toBe(true)
    expect(existsSync(join(project, 'node_modules/keep/lib'))).toBe(true)
  })

  it('removes a stale link without touching what it points to, and does not enter a kept one', async () => {
    const project = scratch()
    makePackages(project, ['packages/ws', 'packages/ws/node_modules/private-dep', 'elsewhere'])
    mkdirSync(join(project, 'node_modules'))
    symlinkSync('../packages/ws', join(project, 'node_modules/ws'))
    symlinkSync('../elsewhere', join(project, 'node_modules/stale-link'))
    const { removed } = await removeExtraneous({ projectDir: project, keep: new Set(['node_modules/ws']) })
    expect(removed).toEqual(['node_modules/stale-link'])
    expect(existsSync(join(project, 'elsewhere/package.json'))).toBe(true)
    expect(existsSync(join(project, 'packages/ws/node_modules/private-dep'))).toBe(true)
  })

  it('takes away what a removal leaves: bin links into removed packages, and a nested node_modules left empty', async () => {
    const project = scratch()
    makePackages(project, [
      'node_modules/keep',
      'node_modules/gone',
      'node_modules/@s/gone',
      'node_modules/keep/node_modules/nested-gone',
      'node_modules/other/node_modules/nested-gone',
      'node_modules/other/node_modules/nested-keep',
    ])
    makePackages(project, ['node_modules/other'])
    const links = {
      'node_modules/.bin/keep': '../keep/cli.js',
      'node_modules/.bin/gone': '../gone/cli.js',
      'node_modules/.bin/scoped': '../@s/gone/bin/cli.js',
      'node_modules/keep/node_modules/.bin/nested': '../nested-gone/cli.js',
      'node_modules/other/node_modules/.bin/nested-gone': '../nested-gone/cli.js',
      'node_modules/other/node_modules/.bin/nested-keep': '../nested-keep/cli.js',
    }
    for (const [link, target] of Object.entries(links)) {
      mkdirSync(join(project, link, '..'), { recursive: true })
      symlinkSync(target, join(project, link))
    }
    const keep = new Set([
      'node_modules/keep',
      'node_modules/other',
      'node_modules/other/node_modules/nested-keep',
    ])
    await removeExtraneous({ projectDir: project, keep })
    expect(readdirSync(join(project, 'node_modules/.bin'))).toEqual(['keep'])
    // A clean install makes no node_modules for a package without dependencies.
    expect(readdirSync(join(project, 'node_modules/keep'))).toEqual(['lib', 'package.json'])
    expect(readdirSync(join(project, 'node_modules/other/node_modules/.bin'))).toEqual(['nested-keep'])
    // A .bin whose last link went goes too.
    makePackages(project, [
      'node_modules/third/node_modules/with-bin',
      'node_modules/third/node_modules/plain',
    ])
    mkdirSync(join(project, 'node_modules/third/node_modules/.bin'))
    symlinkSync('../with-bin/cli.js', join(project, 'node_modules/third/node_modules/.bin/with-bin'))
    keep.add('node_modules/third').add('node_modules/third/node_modules/plain')
    await removeExtraneous({ projectDir: project, keep })
    expect(readdirSync(join(project, 'node_modules/third/node_modules'))).toEqual(['plain'])
  })

  it('does nothing without node_modules', async () => {
    expect(await removeExtraneous({ projectDir: scratch(), keep: new Set() })).toEqual({ removed: [] })
  })

  it('removes a nested node_modules that is empty (a killed run made it and placed nothing)', async () => {
    const project = scratch()
    makePackages(project, ['node_modules/keep', 'node_modules/other'])
    mkdirSync(join(project, 'node_modules/keep/node_modules'))
    mkdirSync(join(project, 'node_modules/other/node_modules/.cache'), { recursive: true })
    await removeExtraneous({
      projectDir: project,
      keep: new Set(['node_modules/keep', 'node_modules/other']),
    })
    expect(existsSync(join(project, 'node_modules/keep/node_modules'))).toBe(false)
    // Not empty: a tool's cache stays.
    expect(existsSync(join(project, 'node_modules/other/node_modules/.cache'))).toBe(true)
  })
})
