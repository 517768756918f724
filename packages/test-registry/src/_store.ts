import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { type BuiltTarball, packVersion } from './_pack.js'
import { BASE_TIME, renderPackument } from './_packument.js'
import type { PackageSpec, RegistryPackages } from './types.js'

const DAY = 86_400_000

/** A rendered packument body with the validators that go with it. */
export interface PackumentBody {
  body: Buffer
  /** Lazily gzipped `body`. */
  gzipped(): Buffer
  etag: string
  /** ms since the epoch. */
  modified: number
}

interface StoredPackage {
  spec: PackageSpec
  modified: number
  tarballs: Map<string, BuiltTarball>
  bodies: Map<string, PackumentBody>
}

function bodyOf(document: unknown, modified: number): PackumentBody {
  const body = Buffer.from(JSON.stringify(document))
  let gzipped: Buffer | undefined
  return {
    body,
    gzipped: () => {
      gzipped ??= gzipSync(body)
      return gzipped
    },
    // Weak: the gzip and identity encodings of one document share it.
    etag: `W/"${createHash('sha1').update(body).digest('hex')}"`,
    modified,
  }
}

/** The registry's packages; tarballs and packument bodies are built on first use and cached. */
export function createStore(tarballUrl: (name: string, version: string) => string) {
  const packages = new Map<string, StoredPackage>()
  let revision = 0

  function tarball(name: string, version: string): BuiltTarball | undefined {
    const stored = packages.get(name)
    const spec = stored?.spec.versions[version]
    if (!stored || !spec) return undefined
    let built = stored.tarballs.get(version)
    if (!built) {
      built = packVersion(name, version, spec)
      stored.tarballs.set(version, built)
    }
    return built
  }

  return {
    /** Adds or replaces packages; every package named gets a later `modified` (so a new etag). */
    add(additions: RegistryPackages): void {
      revision++
      for (const [name, spec] of Object.entries(additions)) {
        packages.set(name, {
          // A copy, so that later changes to the caller's objects do not change what is served.
          spec: structuredClone(spec),
          modified: BASE_TIME + revision * DAY,
          tarballs: new Map(),
          bodies: new Map(),
        })
      }
    },

    tarball,

    /** Time of the package's last change, or undefined for an unknown package. */
    modified(name: string): number | undefined {
      return packages.get(name)?.modified
    },

    packument(name: string, abbreviated: boolean, wrongIntegrity: boolean): PackumentBody | undefined {
      const stored = packages.get(name)
      if (!stored) return undefined
      const key = abbreviated ? 'abbreviated' : 'full'
      const cached = wrongIntegrity ? undefined : stored.bodies.get(key)
      if (cached) return cached
      const document = renderPackument(
        {
          name,
          spec: stored.spec,
          modified: stored.modified,
          tarball: (version) => tarball(name, version)!,
          tarballUrl: (version) => tarballUrl(name, version),
        },
        { abbreviated, wrongIntegrity },
      )
      const rendered = bodyOf(document, stored.modified)
      if (!wrongIntegrity) stored.bodies.set(key, rendered)
      return rendered
    },
  }
}

export type Store = ReturnType<typeof createStore>
