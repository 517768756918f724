import { type Lockfile, type PackageManifest, versionsOf } from '@tote/types'
import { isInstallLocation } from './_lockfile.js'
import type { ResolverDeps, ResolverWarning } from './types.js'

// npm 7+'s one-time fix-up of an npm 6 lockfile (lockfileVersion 1, Arborist's inflateAncientLockfile):
// v1 records each package's version, resolved and integrity, not what it depends on and how, nor its
// engines, bin or license. Each registry package's manifest is fetched from its packument and the
// tree is loaded from it; a package whose metadata
// cannot be had keeps what the lockfile says, with a warning, as npm's does.

/** Most documents asked for at once. */
const CONCURRENCY = 32

/**
 * The registry manifest of each registry entry of an old lockfile, by install path, its `resolved`
 * and `integrity` the lockfile's (npm keeps them).
 */
export async function inflateOldLockfile(
  lockfile: Lockfile,
  deps: ResolverDeps,
  signal: AbortSignal | undefined,
  warn: (warning: ResolverWarning) => void,
): Promise<{ manifests: Map<string, PackageManifest>; documents: number }> {
  const manifests = new Map<string, PackageManifest>()
  const wanted: [string, string, string][] = []
  for (const [location, entry] of Object.entries(lockfile.packages ?? {})) {
    if (!isInstallLocation(location) || entry.link || entry.inBundle) continue
    if (typeof entry.version !== 'string') continue
    if (typeof entry.resolved === 'string' && !/^https?:/i.test(entry.resolved)) continue
    const folderName = location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length)
    wanted.push([location, typeof entry.name === 'string' ? entry.name : folderName, entry.version])
  }
  const byKey = new Map<string, Promise<PackageManifest | undefined>>()
  let documents = 0
  // the packument, as npm's fix-up reads it (abbreviated where the registry serves that: a version
  // document is the full one, whose fields, such as license, npm's entries then lack)
  const fetchManifest = async (name: string, version: string): Promise<PackageManifest | undefined> => {
    documents++
    const found = versionsOf(await deps.getPackument(name, signal ? { signal } : undefined)).get(version)
    if (!found) throw new Error(`the registry has no version ${version}`)
    return found
  }
  let next = 0
  const worker = async () => {
    while (next < wanted.length) {
      const [location, name, version] = wanted[next++]!
      const key = `${name}@${version}`
      let pending = byKey.get(key)
      if (!pending) {
        pending = fetchManifest(name, version).catch((error: unknown) => {
          signal?.throwIfAborted()
          warn({
            code: 'EOLDLOCKFILE',
            message: `Could not fetch metadata for ${key}: ${(error as Error).message}`,
            chain: ['root', key],
          })
          return undefined
        })
        byKey.set(key, pending)
      }
      const manifest = await pending
      if (!manifest) continue
      const entry = lockfile.packages[location]!
      const tarball = typeof entry.resolved === 'string' ? entry.resolved : manifest.dist.tarball
      const integrity = typeof entry.integrity === 'string' ? entry.integrity : manifest.dist.integrity
      manifests.set(location, {
        ...manifest,
        dist: { ...manifest.dist, tarball, ...(integrity ? { integrity } : {}) },
      })
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, wanted.length) }, worker))
  return { manifests, documents }
}
