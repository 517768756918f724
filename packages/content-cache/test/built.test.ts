import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { builtResultKey, createContentCache } from '../src/index.js'
import { sri, tempDir } from './_helpers.js'

const addon = { name: 'addon', version: '1.0.0' }

describe('built results (the build cache)', () => {
  const base = {
    integrity: sri('addon-1.0.0.tgz'),
    platform: 'linux',
    arch: 'x64',
    abi: '127',
    scripts: [{ event: 'install', script: 'node-gyp rebuild' }],
  }

  it('keys a build by integrity, platform, architecture, Node ABI and script text, each on its own', () => {
    const key = builtResultKey(base)
    expect(key).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/)
    expect(builtResultKey({ ...base, scripts: [...base.scripts] })).toBe(key)
    const changed = [
      { ...base, integrity: sri('addon-1.0.1.tgz') },
      { ...base, platform: 'darwin' },
      { ...base, arch: 'arm64' },
      { ...base, abi: '131' },
      { ...base, scripts: [{ event: 'install', script: 'node-gyp rebuild --debug' }] },
      { ...base, scripts: [{ event: 'postinstall', script: 'node-gyp rebuild' }] },
      { ...base, scripts: [...base.scripts, { event: 'postinstall', script: 'node check.js' }] },
    ].map(builtResultKey)
    expect(new Set([key, ...changed]).size).toBe(changed.length + 1)
    // Never the key of the package's own (unbuilt) entry.
    expect(key).not.toBe(base.integrity)
  })

  it('keeps a built result as an entry of its own, beside the package as fetched', async () => {
    const cache = createContentCache({ dir: tempDir() })
    const write = (content: string) => (dir: string) => {
      mkdirSync(join(dir, 'build'), { recursive: true })
      writeFileSync(join(dir, 'package.json'), '{"name":"addon","version":"1.0.0"}')
      const files = [{ path: 'package.json', mode: 0o644, size: 34 }]
      if (content) {
        writeFileSync(join(dir, 'build/addon.node'), content)
        files.push({ path: 'build/addon.node', mode: 0o644, size: content.length })
      }
      return { files }
    }
    await cache.add(base.integrity, addon, write(''))
    const key = builtResultKey(base)
    expect((await cache.lookup(key, addon)).status).toBe('missing')
    const built = await cache.add(key, addon, write('binary'))
    expect(built.files.map((file) => file.path).sort()).toEqual(['build/addon.node', 'package.json'])
    const found = await cache.lookup(key, addon)
    expect(found.status).toBe('found')
    if (found.status === 'found') {
      expect(readFileSync(join(found.entry.dir, 'build/addon.node'), 'utf8')).toBe('binary')
    }
    // The package as fetched is untouched.
    const pristine = await cache.lookup(base.integrity, addon)
    expect(pristine.status === 'found' && pristine.entry.files.map((file) => file.path)).toEqual([
      'package.json',
    ])
  })
})
