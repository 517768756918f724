import { join } from 'node:path'
import type { Lockfile } from '@tote/types'
import { describe, expect, it } from 'vitest'
import { planInstall, platformMatches } from '../src/_plan.js'

const linux = { os: 'linux', cpu: 'x64', libc: 'glibc' }
const plan = (lockfile: Lockfile, omit: ('dev' | 'optional' | 'peer')[] = []) =>
  planInstall(lockfile, { projectDir: '/p', omit, registryFor: () => 'http://127.0.0.1:9/', platform: linux })

describe('planInstall', () => {
  it("leaves out another platform's optional binary and what only it needs, even hoisted beside it", () => {
    const lockfile: Lockfile = {
      lockfileVersion: 3,
      packages: {
        '': { dependencies: { tool: '1.0.0' } },
        'node_modules/tool': {
          version: '1.0.0',
          optionalDependencies: { 'tool-wasm': '1.0.0', 'tool-linux': '1.0.0' },
        },
        'node_modules/tool-wasm': {
          version: '1.0.0',
          optional: true,
          cpu: ['wasm32'],
          dependencies: { runtime: '1.0.0' },
        },
        'node_modules/tool-wasm/node_modules/nested': { version: '1.0.0', optional: true },
        'node_modules/runtime': { version: '1.0.0', optional: true, dependencies: { tslib: '2.0.0' } },
        'node_modules/tslib': { version: '2.0.0', optional: true },
        'node_modules/tool-linux': { version: '1.0.0', optional: true, os: ['linux'], cpu: ['x64'] },
      },
    }
    const result = plan(lockfile)
    expect(result.packages.map((p) => p.path).sort()).toEqual([
      'node_modules/tool',
      'node_modules/tool-linux',
    ])
    expect(result.skipped.map((s) => `${s.reason} ${s.path}`).sort()).toEqual([
      'platform node_modules/tool-wasm',
      'unreachable node_modules/runtime',
      'unreachable node_modules/tslib',
    ])
  })

  it('leaves out what is nested, at any depth, under a skipped package or a link, and nothing beside them', () => {
    const lockfile: Lockfile = {
      lockfileVersion: 3,
      packages: {
        '': { dependencies: { wasm: '1.0.0', 'wasm-extra': '1.0.0', ws: '1.0.0', 'ws-b': '1.0.0' } },
        'node_modules/wasm': {
          version: '1.0.0',
          optional: true,
          cpu: ['wasm32'],
          dependencies: { x: '1.0.0' },
        },
        'node_modules/wasm/node_modules/x': { version: '1.0.0', dependencies: { '@s/y': '1.0.0' } },
        'node_modules/wasm/node_modules/x/node_modules/@s/y': { version: '1.0.0' },
        'node_modules/wasm-extra': { version: '1.0.0' },
        'node_modules/wasm-extra/node_modules/x': { version: '1.0.0' },
        'node_modules/ws': { resolved: 'packages/ws', link: true },
        'node_modules/ws/node_modules/z': { version: '1.0.0' },
        'node_modules/ws-b': { version: '1.0.0' },
        'packages/ws': { version: '1.0.0' },
        '../lib/node_modules/q': { version: '1.0.0' },
        '../lib/node_modules/q/node_modules/r': { version: '1.0.0' },
      },
    }
    const result = plan(lockfile)
    expect(result.packages.map((p) => p.path).sort()).toEqual([
      'node_modules/wasm-extra',
      'node_modules/ws-b',
    ])
    expect(result.links.map((link) => `${link.path} -> ${link.linkText}`)).toEqual([
      'node_modules/ws -> ../packages/ws',
    ])
    expect(result.skipped.map((s) => `${s.reason} ${s.path}`).sort()).toEqual([
      'outside ../lib/node_modules/q',
      'platform node_modules/wasm',
      'unreachable node_modules/wasm-extra/node_modules/x',
    ])
    expect(result.packages.map((p) => p.destDir)).toEqual([
      join('/p', 'node_modules/wasm-extra'),
      join('/p', 'node_modules/ws-b'),
    ])
  })

  it('keeps a package that another installed package still needs', () => {
    const lockfile: Lockfile = {
      lockfileVersion: 3,
      packages: {
        '': { dependencies: { a: '1.0.0' } },
        'node_modules/a': {
          version: '1.0.0',
          dependencies: { shared: '1.0.0' },
          optionalDependencies: { bin: '1.0.0' },
        },
        'node_modules/bin': {
          version: '1.0.0',
          optional: true,
          os: ['aix'],
          dependencies: { shared: '1.0.0' },
        },
        'node_modules/shared': { version: '1.0.0' },
      },
    }
    expect(
      plan(lockfile)
        .packages.map((p) => p.path)
        .sort(),
    ).toEqual(['node_modules/a', 'node_modules/shared'])
  })

  it('omits dev packages with --omit dev and fails on a required package for another platform', () => {
    const lockfile: Lockfile = {
      lockfileVersion: 3,
      packages: {
        '': { dependencies: { a: '1.0.0' }, devDependencies: { d: '1.0.0' } },
        'node_modules/a': { version: '1.0.0' },
        'node_modules/d': { version: '1.0.0', dev: true },
      },
    }
    expect(plan(lockfile, ['dev']).packages.map((p) => p.path)).toEqual(['node_modules/a'])
    lockfile.packages['node_modules/a']!.os = ['darwin']
    expect(() => plan(lockfile)).toThrow(expect.objectContaining({ code: 'EBADPLATFORM' }))
  })

  it("matches os/cpu/libc lists the way npm does, with '!' negations", () => {
    expect(platformMatches(['linux', 'darwin'], 'linux')).toBe(true)
    expect(platformMatches(['!win32'], 'linux')).toBe(true)
    expect(platformMatches(['!linux'], 'linux')).toBe(false)
    expect(platformMatches(['musl'], 'glibc')).toBe(false)
    expect(platformMatches(undefined, 'linux')).toBe(true)
  })
})
