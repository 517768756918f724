// LIVE smoke test against the registry npm is configured with (`npm config get registry`), not the
// loopback test registry. It runs by default when that registry answers, and is skipped (not failed)
// when it does not, or when TOTE_SKIP_LIVE=1.
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { createRegistryClient } from '../src/index.js'

function configuredRegistry(): string | undefined {
  try {
    return execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8', timeout: 15_000 }).trim()
  } catch {
    return undefined
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url.endsWith('/') ? url : `${url}/`}semver`, {
      method: 'HEAD',
      signal: AbortSignal.timeout(5_000),
    })
    return response.ok
  } catch {
    return false
  }
}

const registry = process.env.TOTE_SKIP_LIVE === '1' ? undefined : configuredRegistry()
const live = registry !== undefined && (await answers(registry))

describe.skipIf(!live)('LIVE: the registry from npm configuration', () => {
  it('fetches and reduces a real packument (semver)', async () => {
    const client = createRegistryClient({ registry: registry!, retryMinTimeout: 200 })
    try {
      const packument = await client.getPackument('semver')
      expect(packument.name).toBe('semver')
      const latest = packument['dist-tags'].latest!
      const manifest = packument.versions.get(latest)!
      expect(manifest).toMatchObject({ name: 'semver', version: latest, bin: { semver: 'bin/semver.js' } })
      expect(manifest.dist.tarball).toMatch(/^https?:\/\/.+\.tgz$/)
      expect(manifest.dist.integrity).toMatch(/^sha512-/)
      expect(packument.versions.keys().length).toBeGreaterThan(50)
      // Reduced: nothing a resolver does not read.
      expect(packument).not.toHaveProperty('readme')
      expect(packument).not.toHaveProperty('time')
      expect(manifest).not.toHaveProperty('scripts')
      expect(manifest).not.toHaveProperty('devDependencies')
      expect(Object.keys(manifest.dist).sort()).toEqual(['integrity', 'shasum', 'tarball'])
    } finally {
      await client.close()
    }
  })
})
