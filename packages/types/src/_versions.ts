import type { LazyPackument, PackageManifest, Packument, PackumentVersions } from './types.js'

/**
 * The versions of either kind of packument, read the same way: a lazily read document's own, or
 * the plain record of a document made in memory behind the same three methods.
 */
export function versionsOf(packument: Packument | LazyPackument): PackumentVersions {
  // A document parsed from JSON may have none (an unpublished package's).
  const versions: Packument['versions'] | PackumentVersions = packument.versions ?? {}
  if (isPackumentVersions(versions)) return versions
  let keys: string[] | undefined
  return {
    // Own keys only: a version named like a property of Object.prototype is not one.
    get: (version) => (Object.hasOwn(versions, version) ? versions[version] : undefined),
    has: (version) => Object.hasOwn(versions, version),
    keys: () => {
      keys ??= Object.keys(versions)
      return keys
    },
  }
}

function isPackumentVersions(
  versions: Record<string, PackageManifest> | PackumentVersions,
): versions is PackumentVersions {
  // A plain record may even have a version named `get`, but its value is a manifest, not a function.
  return typeof versions.get === 'function' && typeof versions.keys === 'function'
}
