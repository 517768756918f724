import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { currentLibc, locatePeer, pickPlatformPackage } from '../src/_tools.js'

const pnpmPlatforms = [
  '@pnpm/exe.win32-x64',
  '@pnpm/exe.linux-x64',
  '@pnpm/exe.linux-x64-musl',
  '@pnpm/exe.darwin-arm64',
]
const bunPlatforms = [
  '@oven/bun-darwin-aarch64',
  '@oven/bun-linux-x64',
  '@oven/bun-linux-x64-musl',
  '@oven/bun-linux-aarch64',
]

describe('pickPlatformPackage', () => {
  it('picks the glibc or musl build of this platform', () => {
    expect(pickPlatformPackage(pnpmPlatforms, 'linux', 'x64', 'glibc')).toBe('@pnpm/exe.linux-x64')
    expect(pickPlatformPackage(pnpmPlatforms, 'linux', 'x64', 'musl')).toBe('@pnpm/exe.linux-x64-musl')
    expect(pickPlatformPackage(bunPlatforms, 'linux', 'x64', 'glibc')).toBe('@oven/bun-linux-x64')
    expect(pickPlatformPackage(pnpmPlatforms, 'darwin', 'arm64', 'glibc')).toBe('@pnpm/exe.darwin-arm64')
  })

  it('finds nothing for an unpublished platform', () => {
    expect(pickPlatformPackage(bunPlatforms, 'linux', 'arm64', 'glibc')).toBeUndefined()
    expect(pickPlatformPackage(pnpmPlatforms, 'freebsd', 'x64', 'glibc')).toBeUndefined()
  })
})

describe('locatePeer', () => {
  it("finds the native binary in the wrapper's platform package", () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-bench-tools-'))
    const platformPackage = `@utoo/utoo-${process.platform}-${process.arch}${currentLibc() === 'musl' ? '-musl' : ''}`
    mkdirSync(join(dir, 'node_modules', 'utoo'), { recursive: true })
    writeFileSync(
      join(dir, 'node_modules', 'utoo', 'package.json'),
      JSON.stringify({
        name: 'utoo',
        optionalDependencies: { [platformPackage]: '1.0.0', '@utoo/utoo-other-os': '1.0.0' },
      }),
    )
    expect(locatePeer('utoo', dir)).toBeUndefined()
    mkdirSync(join(dir, 'node_modules', platformPackage, 'bin'), { recursive: true })
    writeFileSync(join(dir, 'node_modules', platformPackage, 'bin', 'utoo'), '#!/bin/sh\n')
    chmodSync(join(dir, 'node_modules', platformPackage, 'bin', 'utoo'), 0o755)
    expect(locatePeer('utoo', dir)).toEqual({
      command: join(dir, 'node_modules', platformPackage, 'bin', 'utoo'),
      args: [],
      env: { UTOO_MANAGED_PACKAGE_ROOT: join(dir, 'node_modules', 'utoo') },
    })
  })

  it('runs npm through this node', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-bench-tools-'))
    expect(locatePeer('npm', dir)).toBeUndefined()
    mkdirSync(join(dir, 'node_modules', 'npm', 'bin'), { recursive: true })
    writeFileSync(join(dir, 'node_modules', 'npm', 'bin', 'npm-cli.js'), '')
    expect(locatePeer('npm', dir)).toEqual({
      command: process.execPath,
      args: [join(dir, 'node_modules', 'npm', 'bin', 'npm-cli.js')],
      env: {},
    })
  })
})
