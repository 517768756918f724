import type { PackageManifest, PackumentVersions } from '@tote/types'

/**
 * The versions of a lazily read packument: `read(index of the key)` makes a manifest when it is
 * first asked for, and it is kept. A version `read` finds unusable (not a manifest with a tarball)
 * reads as undefined, and is not read again. Plain functions over a key list and a map of where
 * each key is: a getter or a property per version would cost an object for the collector to trace
 * for each of them (ant-design's documents list 137,000 versions, and a resolve reads ~2,600).
 */
export function lazyVersions(
  keys: readonly string[],
  read: (index: number) => PackageManifest | undefined,
): PackumentVersions {
  const indexOf = new Map<string, number>()
  for (let index = 0; index < keys.length; index++) indexOf.set(keys[index]!, index)
  // undefined: not read yet; null: read, and unusable.
  const manifests: (PackageManifest | null | undefined)[] = []
  return {
    get(version) {
      const index = indexOf.get(version)
      if (index === undefined) return undefined
      let manifest = manifests[index]
      if (manifest === undefined) {
        manifest = read(index) ?? null
        manifests[index] = manifest
      }
      return manifest ?? undefined
    },
    has: (version) => indexOf.has(version),
    keys: () => keys,
  }
}
