import type { LockfilePackage } from '@tote/types'
import { isJsonObject } from './_order.js'

// npm 6's package-lock.json (lockfileVersion 1) as npm 7+ loads it (Arborist's Shrinkwrap): the
// nested `dependencies` tree becomes `packages` entries keyed by install path, with what v1 has:
// version, resolved, integrity, the dev/optional flags, bundled packages (`inBundle`), links to
// folders, and `requires` as the entry's dependencies. What v1 lacks (each package's dependency
// types, engines, bin, license…) comes from the registry afterwards (the resolver's fix-up).

type Json = Record<string, unknown>

const TARBALL = /\.(?:tgz|tar\.gz|tar)$/i
const GIT = /^(?:git\+|git:|github:|gitlab:|bitbucket:|gist:)/i

/** The `packages` section npm 7+ makes of a v1 file's `dependencies` tree (`dependencies` an object). */
export function packagesFromV1(data: Json): Record<string, LockfilePackage> {
  const packages: Record<string, LockfilePackage> = {}
  const root: LockfilePackage = {}
  if (typeof data.name === 'string') root.name = data.name
  if (typeof data.version === 'string') root.version = data.version
  packages[''] = root
  const requires = new Map<string, Record<string, string>>()
  const walk = (location: string, tree: unknown) => {
    if (!isJsonObject(tree)) return
    for (const [name, lock] of Object.entries(tree)) {
      if (!isJsonObject(lock)) continue
      const path = `${location}${location ? '/' : ''}node_modules/${name}`
      const entry = entryOf(name, lock)
      packages[path] = entry
      // what is nested under a link (and what it requires) is its target's
      if (entry.link !== true && isJsonObject(lock.requires)) {
        requires.set(path, lock.requires as Record<string, string>)
      }
      if (entry.link === true && typeof entry.resolved === 'string') {
        packages[entry.resolved] ??= {}
        if (isJsonObject(lock.requires)) requires.set(entry.resolved, lock.requires as Record<string, string>)
        walk(entry.resolved, lock.dependencies)
      } else walk(path, lock.dependencies)
    }
  }
  walk('', data.dependencies)
  // npm's fixDependencies: a required package that is optional (or dev) where its dependant is not
  // is an optional (or dev) dependency of it; every other is a dependency
  for (const [path, wanted] of requires) {
    const entry = packages[path]!
    for (const [name, spec] of Object.entries(wanted)) {
      if (typeof spec !== 'string') continue
      const dep = findEntry(packages, path, name)
      const field =
        dep?.optional && !entry.optional
          ? 'optionalDependencies'
          : dep?.dev && !entry.dev
            ? 'devDependencies'
            : 'dependencies'
      entry[field] = { ...entry[field], [name]: spec }
    }
  }
  return packages
}

/** The entry node resolution finds for `name` from `path` (its node_modules, then each one above). */
function findEntry(
  packages: Record<string, LockfilePackage>,
  path: string,
  name: string,
): LockfilePackage | undefined {
  for (let from = path; ; from = from.replace(/(^|\/)[^/]*$/, '')) {
    const found = packages[`${from}${from ? '/' : ''}node_modules/${name}`]
    if (found) return found
    if (!from) return undefined
  }
}

/** One v1 entry as npm's metaFromLock reads it. */
function entryOf(name: string, lock: Json): LockfilePackage {
  const version = typeof lock.version === 'string' ? lock.version : undefined
  const resolved = typeof lock.resolved === 'string' ? lock.resolved : undefined
  const integrity = typeof lock.integrity === 'string' ? lock.integrity : undefined
  // a folder: a link to it (npm 6 wrote `file:` and the folder, relative to the project)
  if (version?.startsWith('file:') && !TARBALL.test(version)) {
    return { resolved: folderOf(version.slice('file:'.length)), link: true }
  }
  const entry: LockfilePackage = {}
  if (lock.optional === true) entry.optional = true
  if (lock.dev === true) entry.dev = true
  if (version !== undefined && GIT.test(version)) {
    entry.resolved = version
  } else if (version?.startsWith('npm:')) {
    const target = version.slice('npm:'.length)
    const at = target.lastIndexOf('@')
    if (at > 0) {
      entry.name = target.slice(0, at)
      entry.version = target.slice(at + 1)
    }
    if (resolved !== undefined) entry.resolved = resolved
  } else if (version !== undefined && (version.startsWith('file:') || /^https?:/i.test(version))) {
    // a tarball: its file or URL is what it resolves to
    entry.resolved = version
    if (resolved !== undefined && !version.startsWith('file:')) entry.resolved = resolved
  } else {
    if (version !== undefined) entry.version = version
    if (resolved !== undefined) entry.resolved = resolved
  }
  if (integrity !== undefined) entry.integrity = integrity
  if (lock.bundled === true) entry.inBundle = true
  if (entry.name === name) delete entry.name
  return entry
}

/** A `file:` folder spec as a path relative to the project, POSIX, without `./` or a trailing `/`. */
function folderOf(spec: string): string {
  const parts: string[] = []
  for (const part of spec.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..' && parts.length > 0 && parts.at(-1) !== '..') parts.pop()
    else parts.push(part)
  }
  return parts.join('/')
}
