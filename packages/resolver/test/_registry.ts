import type { PackageManifest, Packument } from '@tote/types'
import { ToteError } from '@tote/types'
import semver from 'semver'

/** One version, compactly: any manifest field; name, version and dist are filled in. */
export type VersionDesc = Partial<Omit<PackageManifest, 'name' | 'version'>>

/** A package: `{ '1.0.0': {…} }`, or `{ versions: {…}, tags: { latest: … } }`. */
export type PackageDesc =
  | Record<string, VersionDesc>
  | { versions: Record<string, VersionDesc>; tags: Record<string, string> }

export const REGISTRY = 'http://127.0.0.1:4873/'

/** Builds packuments from a compact description. `latest` defaults to the highest release version. */
export function packuments(desc: Record<string, PackageDesc>): Map<string, Packument> {
  const result = new Map<string, Packument>()
  for (const [name, pkg] of Object.entries(desc)) {
    const full = 'versions' in pkg && 'tags' in pkg
    const versions = (full ? pkg.versions : pkg) as Record<string, VersionDesc>
    const tags = full ? { ...(pkg.tags as Record<string, string>) } : {}
    const manifests: Record<string, PackageManifest> = {}
    for (const [version, fields] of Object.entries(versions)) {
      const file = `${name.replace(/^@[^/]+\//, '')}-${version}.tgz`
      manifests[version] = {
        name,
        version,
        ...fields,
        dist: fields.dist ?? {
          tarball: `${REGISTRY}${name}/-/${file}`,
          integrity: `sha512-${Buffer.from(`${name}@${version}`).toString('base64')}`,
        },
      }
    }
    if (!tags.latest) {
      const releases = Object.keys(manifests).filter((v) => !semver.prerelease(v))
      const all = releases.length > 0 ? releases : Object.keys(manifests)
      const highest = all.sort(semver.rcompare)[0]
      if (highest) tags.latest = highest
    }
    result.set(name, { name, 'dist-tags': tags, versions: manifests })
  }
  return result
}

export interface FakeSource {
  getPackument(name: string): Promise<Packument>
  /** Names asked for, in order. */
  calls: string[]
}

/** An in-memory packument source; `delay` (ms per name) lets tests shuffle the order answers arrive in. */
export function fakeSource(desc: Record<string, PackageDesc>, delay?: (name: string) => number): FakeSource {
  const docs = packuments(desc)
  const calls: string[] = []
  return {
    calls,
    async getPackument(name: string) {
      calls.push(name)
      const ms = delay?.(name) ?? 0
      if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms))
      const doc = docs.get(name)
      if (!doc) throw new ToteError('E404', `${name} is not in the registry`, { details: { name } })
      // a copy, as a client would return: the resolver must not rely on object identity across calls
      return structuredClone(doc)
    },
  }
}

export interface FakeVersionDocuments {
  getVersion(name: string, selector: string): Promise<Packument>
  /** `name selector` asked for, in order. */
  calls: string[]
}

/**
 * Version documents of the same packages, as a registry serves `<name>/<version or tag>`: a
 * packument holding only that version (the tag as its only dist-tag). `served: false` answers
 * every one with E404, like a registry without them.
 */
export function fakeVersionDocuments(desc: Record<string, PackageDesc>, served = true): FakeVersionDocuments {
  const docs = packuments(desc)
  const calls: string[] = []
  return {
    calls,
    async getVersion(name: string, selector: string) {
      calls.push(`${name} ${selector}`)
      await new Promise((resolve) => setTimeout(resolve, 1))
      const doc = docs.get(name)
      const version = doc?.['dist-tags'][selector] ?? selector
      const manifest = doc?.versions[version]
      if (!served || !manifest) throw new ToteError('E404', `${name}@${selector} is not in the registry`)
      const distTags: Record<string, string> = version === selector ? {} : { [selector]: version }
      return structuredClone({ name, 'dist-tags': distTags, versions: { [version]: manifest } })
    },
  }
}

/** `path → version` of a lockfile's entries (the project left out). */
export function placed(lockfile: {
  packages: Record<string, { version?: string }>
}): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = {}
  for (const [path, entry] of Object.entries(lockfile.packages)) if (path !== '') result[path] = entry.version
  return result
}
