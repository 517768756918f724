import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import type { StageWarning } from '@tote/types'
import { describe, expect, it } from 'vitest'
import { binOwners, createCloner, linkBins } from '../src/index.js'
import { cachePackage, inode, scratch } from './helpers.js'

/** Writes a package folder straight into the project (mode 0644 unless said). */
function writePackage(project: string, path: string, files: Record<string, string>): void {
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(join(project, path, file, '..'), { recursive: true })
    writeFileSync(join(project, path, file), content)
  }
}

/** Every path under dir (files, folders, links), relative. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()
}

describe('linkBins', () => {
  it('links bins at the root and nested levels, relative and executable', async () => {
    const project = scratch()
    writePackage(project, 'node_modules/a', { 'cli.js': '#!/usr/bin/env node\n' })
    writePackage(project, 'node_modules/@s/tool', { 'bin/tool.js': 'tool' })
    writePackage(project, 'node_modules/a/node_modules/b', { 'b.js': 'b' })
    writePackage(project, 'node_modules/a/node_modules/@s/c', { 'lib/c.js': 'c' })
    const { linked } = await linkBins({
      projectDir: project,
      packages: [
        { path: 'node_modules/a', name: 'a', bin: { a: 'cli.js', 'a-alias': './cli.js' } },
        { path: 'node_modules/@s/tool', name: '@s/tool', bin: { tool: 'bin/tool.js' } },
        { path: 'node_modules/a/node_modules/b', name: 'b', bin: { b: 'b.js' } },
        { path: 'node_modules/a/node_modules/@s/c', name: '@s/c', bin: { c: 'lib//c.js' } },
        { path: 'node_modules/nobin', name: 'nobin' },
      ],
    })
    const root = join(project, 'node_modules/.bin')
    const nested = join(project, 'node_modules/a/node_modules/.bin')
    expect(linked).toEqual([
      { binPath: join(root, 'a'), target: '../a/cli.js' },
      { binPath: join(root, 'a-alias'), target: '../a/cli.js' },
      { binPath: join(root, 'tool'), target: '../@s/tool/bin/tool.js' },
      { binPath: join(nested, 'b'), target: '../b/b.js' },
      { binPath: join(nested, 'c'), target: '../@s/c/lib/c.js' },
    ])
    for (const { binPath, target } of linked) {
      expect(lstatSync(binPath).isSymbolicLink()).toBe(true)
      expect(readlinkSync(binPath)).toBe(target)
      expect(statSync(binPath).mode & 0o777).toBe(0o755) // follows the link to the target
    }
    expect(readFileSync(join(root, 'tool'), 'utf8')).toBe('tool')
  })

  it('replaces existing links and files', async () => {
    const project = scratch()
    writePackage(project, 'node_modules/a', { 'new.js': 'new' })
    mkdirSync(join(project, 'node_modules/.bin'))
    symlinkSync('../gone/old.js', join(project, 'node_modules/.bin/a'))
    writeFileSync(join(project, 'node_modules/.bin/b'), 'a stale shim')
    await linkBins({
      projectDir: project,
      packages: [{ path: 'node_modules/a', name: 'a', bin: { a: 'new.js', b: 'new.js' } }],
    })
    expect(readlinkSync(join(project, 'node_modules/.bin/a'))).toBe('../a/new.js')
    expect(readlinkSync(join(project, 'node_modules/.bin/b'))).toBe('../a/new.js')
    expect(readdirSync(join(project, 'node_modules/.bin')).sort()).toEqual(['a', 'b'])
  })

  it('refuses every name and target that could escape, with a warning, creating nothing', async () => {
    const project = scratch()
    writePackage(project, 'node_modules/evil', { 'ok.js': 'ok' })
    writePackage(project, 'node_modules/outside.js', { 'x.js': 'x' })
    const before = tree(project)
    const names = ['../x', '..', '.', '', 'a/b', 'a\\b', '/abs', '..x', 'x..', 'nul\0byte']
    const targets = [
      '../outside.js/x.js',
      '../../x',
      '/etc/passwd',
      'a/../../x',
      'C:\\x',
      '..\\x',
      '.',
      'dir/',
      'nul\0',
    ]
    const warnings: StageWarning[] = []
    const { linked } = await linkBins({
      projectDir: project,
      packages: [
        {
          path: 'node_modules/evil',
          name: 'evil',
          version: '6.6.6',
          bin: {
            ...Object.fromEntries(names.map((name) => [name, 'ok.js'])),
            ...Object.fromEntries(targets.map((target, i) => [`t${i}`, target])),
          },
        },
        { path: 'node_modules/../../escape', name: 'escape', bin: { e: 'ok.js' } },
        { path: 'node_modules/evil/../../x', name: 'escape2', bin: { e: 'ok.js' } },
      ],
      onWarning: (w) => warnings.push(w),
    })
    expect(linked).toEqual([])
    expect(warnings.filter((w) => w.code === 'EBINNAME')).toHaveLength(names.length)
    expect(warnings.filter((w) => w.code === 'EBINTARGET')).toHaveLength(targets.length)
    expect(warnings.filter((w) => w.code === 'EBINPATH')).toHaveLength(2)
    expect(warnings.find((w) => w.code === 'EBINNAME')?.package).toBe('evil@6.6.6')
    expect(tree(project)).toEqual(before)
    expect(statSync(join(project, 'node_modules/outside.js/x.js')).mode & 0o111).toBe(0)
  })

  it('gives a contested name to the first package by install path, with a warning', async () => {
    const project = scratch()
    writePackage(project, 'node_modules/alpha', { 'a.js': 'alpha' })
    writePackage(project, 'node_modules/beta', { 'b.js': 'beta' })
    writePackage(project, 'node_modules/beta/node_modules/gamma', { 'g.js': 'gamma' })
    const warnings: StageWarning[] = []
    await linkBins({
      projectDir: project,
      packages: [
        { path: 'node_modules/beta', name: 'beta', bin: { run: 'b.js' } },
        { path: 'node_modules/beta/node_modules/gamma', name: 'gamma', bin: { run: 'g.js' } },
        { path: 'node_modules/alpha', name: 'alpha', bin: { run: 'a.js' } },
      ],
      onWarning: (w) => warnings.push(w),
    })
    expect(readFileSync(join(project, 'node_modules/.bin/run'), 'utf8')).toBe('alpha')
    // Another folder's .bin is no conflict.
    expect(readFileSync(join(project, 'node_modules/beta/node_modules/.bin/run'), 'utf8')).toBe('gamma')
    expect(warnings.map((w) => [w.code, w.package])).toEqual([['EBINCONFLICT', 'beta']])
  })

  it('binOwners names the package each .bin entry links to, as linkBins decides; linked in two parts, the bins are the same', async () => {
    const packages: { path: string; name: string; bin: Record<string, string> }[] = [
      { path: 'node_modules/beta', name: 'beta', bin: { run: 'b.js', beta: 'b.js' } },
      { path: 'node_modules/beta/node_modules/gamma', name: 'gamma', bin: { run: 'g.js' } },
      { path: 'node_modules/alpha', name: 'alpha', bin: { run: 'a.js', bad: '../x.js' } },
    ]
    const owners = binOwners(packages)
    expect(Object.fromEntries(owners)).toEqual({
      'node_modules/.bin/run': 'node_modules/alpha',
      'node_modules/.bin/beta': 'node_modules/beta',
      'node_modules/beta/node_modules/.bin/run': 'node_modules/beta/node_modules/gamma',
    })
    // beta's own names first (what it owns), then the rest without them: the same bins as at once
    const project = scratch()
    writePackage(project, 'node_modules/alpha', { 'a.js': 'alpha' })
    writePackage(project, 'node_modules/beta', { 'b.js': 'beta' })
    writePackage(project, 'node_modules/beta/node_modules/gamma', { 'g.js': 'gamma' })
    const owned = (pkg: (typeof packages)[number], keep: (key: string) => boolean) => ({
      ...pkg,
      bin: Object.fromEntries(
        Object.entries(pkg.bin).filter(([name]) =>
          keep(`${pkg.path.slice(0, pkg.path.lastIndexOf('node_modules/'))}node_modules/.bin/${name}`),
        ),
      ),
    })
    const early = new Set([...owners].filter(([, path]) => path === 'node_modules/beta').map(([key]) => key))
    await linkBins({ projectDir: project, packages: [owned(packages[0]!, (key) => early.has(key))] })
    await linkBins({
      projectDir: project,
      packages: packages.map((pkg) => owned(pkg, (key) => !early.has(key))),
    })
    expect(readFileSync(join(project, 'node_modules/.bin/run'), 'utf8')).toBe('alpha')
    expect(readFileSync(join(project, 'node_modules/.bin/beta'), 'utf8')).toBe('beta')
    expect(readFileSync(join(project, 'node_modules/beta/node_modules/.bin/run'), 'utf8')).toBe('gamma')
  })

  it('makes a hard-linked target executable on a private copy, leaving the cache alone', async () => {
    const source = cachePackage(scratch(), 'tool', { 'package.json': '{}', 'cli.js': 'cli' })
    const project = scratch()
    createCloner({ strategy: 'hardlink' }).cloneSync(source, join(project, 'node_modules/tool'))
    const target = join(project, 'node_modules/tool/cli.js')
    expect(inode(target)).toBe(inode(join(source.dir, 'cli.js')))
    await linkBins({
      projectDir: project,
      packages: [{ path: 'node_modules/tool', name: 'tool', bin: { tool: 'cli.js' } }],
    })
    expect(statSync(target).mode & 0o777).toBe(0o755)
    expect(inode(target)).not.toBe(inode(join(source.dir, 'cli.js')))
    expect(statSync(join(source.dir, 'cli.js')).mode & 0o777).toBe(0o644)
    expect(readFileSync(target, 'utf8')).toBe('cli')
    // A target that is already executable keeps sharing the cache's inode.
    const exe = cachePackage(scratch(), 'exe', { 'x.js': { content: 'x', mode: 0o755 } })
    createCloner({ strategy: 'hardlink' }).cloneSync(exe, join(project, 'node_modules/exe'))
    await linkBins({
      projectDir: project,
      packages: [{ path: 'node_modules/exe', name: 'exe', bin: { x: 'x.js' } }],
    })
    expect(inode(join(project, 'node_modules/exe/x.js'))).toBe(inode(join(exe.dir, 'x.js')))
  })

  it('links a bin whose target is missing (an install script may make it) and warns', async () => {
    const project = scratch()
    writePackage(project, 'node_modules/later', { 'package.json': '{}' })
    const warnings: StageWarning[] = []
    const { linked } = await linkBins({
      projectDir: project,
      packages: [{ path: 'node_modules/later', name: 'later', bin: { later: 'dist/cli.js' } }],
      onWarning: (w) => warnings.push(w),
    })
    expect(linked.map((l) => l.target)).toEqual(['../later/dist/cli.js'])
    expect(warnings.map((w) => w.code)).toEqual(['EBINTARGETMISSING'])
  })
})
