import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { tote } from './_tote.js'

// The live smoke test: resolves a real project against the registry in npm's configuration (never a
// host written here). CI runs it; elsewhere it runs when the fixtures folder is beside the checkout.
const fixture = fileURLToPath(new URL('../../../../shared/fixtures/vite-react-ts/', import.meta.url))
const available = existsSync(join(fixture, 'package.json'))
if (process.env.CI && !available) throw new Error(`CI needs the fixtures beside the checkout: ${fixture}`)

describe.runIf(available)('live registry (from npm configuration)', () => {
  it('resolves the vite-react-ts fixture to a lockfile npm can use', { timeout: 120_000 }, async () => {
    const registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim()
    expect(registry).toMatch(/^https?:\/\//)
    const root = mkdtempSync(join(tmpdir(), 'tote-live-'))
    copyFileSync(join(fixture, 'package.json'), join(root, 'package.json'))
    const home = process.env.HOME ?? root
    const result = await tote(['install', '--lockfile-only'], {
      cwd: root,
      home,
      cache: join(root, '.cache'),
      registry,
    })
    expect(result.stderr).not.toContain('tote error')
    expect(result.code).toBe(0)
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'))
    expect(lock.lockfileVersion).toBe(3)
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    for (const name of [...Object.keys(manifest.dependencies), ...Object.keys(manifest.devDependencies)]) {
      expect(lock.packages[`node_modules/${name}`]?.version, name).toMatch(/^\d+\.\d+\.\d+/)
    }
  })
})
