import { chmodSync, constants, copyFileSync, lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { type CloneStrategy, createCloner } from '@tote/cloner'
import { builtResultKey, createContentCache } from '@tote/content-cache'
import type { PackageFile, PackageIdentity } from '@tote/types'

// The build cache (pnpm's side-effects cache): the files of a trusted package after its install
// scripts ran, kept in the content cache under builtResultKey (integrity, platform, architecture,
// Node ABI, script text). An install that would run the same scripts on the same package links
// the built result instead.

/** A package that is about to be built, as the build cache needs it. */
export interface BuildCachePackage {
  /** The package folder in node_modules. */
  dir: string
  identity: PackageIdentity
  /** The lockfile's integrity of its tarball; no integrity, no caching. */
  integrity: string | undefined
  /** The scripts that run, in order. */
  scripts: readonly { event: string; script: string }[]
}

export interface BuildCache {
  /** The key of the package's built result; undefined when it cannot be cached. */
  keyOf(pkg: BuildCachePackage): string | undefined
  /**
   * Puts the built result in place of the package's files (its own node_modules kept), if the
   * cache has it whole. False when it has not; the folder is then as it was.
   */
  restore(pkg: BuildCachePackage, key: string): boolean
  /** Keeps the package's files, as its scripts left them, as the built result. Never throws. */
  save(pkg: BuildCachePackage, key: string): Promise<'saved' | 'not-cacheable'>
}

/** A file that a built result cannot hold: a symlink, a socket… (the content cache keeps regular files). */
class NotCacheable extends Error {}

export function createBuildCache(options: {
  cacheDir: string
  strategy?: CloneStrategy
  onWarning?: (message: string) => void
}): BuildCache {
  const cache = createContentCache({ dir: options.cacheDir })
  let cloner: ReturnType<typeof createCloner> | undefined
  return {
    keyOf(pkg) {
      if (!pkg.integrity || pkg.scripts.length === 0) return undefined
      return builtResultKey({
        integrity: pkg.integrity,
        platform: process.platform,
        arch: process.arch,
        abi: process.versions.modules,
        scripts: pkg.scripts,
      })
    },
    restore(pkg, key) {
      const found = cache.lookupSync(key, pkg.identity)
      if (found.status !== 'found') {
        if (found.status === 'damaged') cache.removeSync(key)
        return false
      }
      // The built result holds every file but the package's own node_modules (other packages).
      const kept = readdirSync(pkg.dir).filter((name) => name !== 'node_modules')
      for (const name of kept) rmSync(join(pkg.dir, name), { recursive: true, force: true })
      cloner ??= createCloner({ stateDir: options.cacheDir, strategy: options.strategy ?? 'auto' })
      cloner.cloneSync(found.entry, pkg.dir, {
        onWarning: (warning) => options.onWarning?.(warning.message),
      })
      return true
    },
    async save(pkg, key) {
      try {
        await cache.add(key, pkg.identity, (packageDir) => ({ files: copyTree(pkg.dir, packageDir) }))
        return 'saved'
      } catch (error) {
        if (!(error instanceof NotCacheable)) {
          options.onWarning?.(
            `the built result of ${pkg.identity.name}@${pkg.identity.version} was not cached: ${(error as Error).message}`,
          )
        }
        return 'not-cacheable'
      }
    },
  }
}

/** Copies the package's files (not its node_modules) into `to`; throws NotCacheable on a symlink or special file. */
function copyTree(from: string, to: string, prefix = ''): PackageFile[] {
  const files: PackageFile[] = []
  for (const entry of readdirSync(join(from, prefix), { withFileTypes: true })) {
    if (prefix === '' && entry.name === 'node_modules') continue
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`
    if (entry.isDirectory()) {
      mkdirSync(join(to, path))
      files.push(...copyTree(from, to, path))
    } else if (entry.isFile()) {
      const stat = lstatSync(join(from, path))
      const mode = stat.mode & 0o777
      copyFileSync(join(from, path), join(to, path), constants.COPYFILE_FICLONE)
      chmodSync(join(to, path), mode)
      files.push({ path, mode, size: stat.size })
    } else {
      throw new NotCacheable(`${path} is not a regular file`)
    }
  }
  return files
}
