import { posix } from 'node:path'
import type { DependencyMap, PackageDist, PackageManifest, Packument } from '@tote/types'
import { ToteError } from '@tote/types'

type Json = Record<string, unknown>

const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'] as const

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function stringMap(value: unknown): DependencyMap | undefined {
  if (!isObject(value)) return undefined
  // Registry documents are already string → string; checking every value would cost more than it saves.
  return value as DependencyMap
}

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value]
  if (!Array.isArray(value)) return undefined
  return value.filter((item): item is string => typeof item === 'string')
}

/** `@scope/name` → `name`. */
function unscoped(name: string): string {
  const slash = name.indexOf('/')
  return name.startsWith('@') && slash !== -1 ? name.slice(slash + 1) : name
}

/**
 * npm's bin normalisation: the string form becomes `{ [unscoped name]: path }`; each command name is
 * reduced to a base name and each path made relative without `..` escapes or backslashes, so a
 * package cannot link a command outside its own folder. Entries that end up empty are dropped.
 */
export function normaliseBin(bin: unknown, packageName: string): Record<string, string> | undefined {
  let entries: [string, unknown][]
  if (typeof bin === 'string') entries = [[unscoped(packageName), bin]]
  else if (Array.isArray(bin)) entries = bin.map((path) => [posix.basename(String(path)), path])
  else if (isObject(bin)) entries = Object.entries(bin)
  else return undefined
  const clean: Record<string, string> = {}
  let found = false
  for (const [command, target] of entries) {
    if (typeof target !== 'string') continue
    const base = posix.join('/', posix.basename(command.replace(/[\\:]/g, '/'))).slice(1)
    const path = posix.join('/', target.replace(/\\/g, '/')).slice(1)
    if (base === '' || path === '') continue
    clean[base] = path
    found = true
  }
  return found ? clean : undefined
}

/** npm's lockfile keeps a string, the `type` of an object, and a (rare, old) array as it is. */
function licenseOf(value: unknown): string | string[] | undefined {
  if (typeof value === 'string') return value
  if (isObject(value) && typeof value.type === 'string') return value.type
  return Array.isArray(value) ? stringList(value) : undefined
}

function hasInstallScript(version: Json): boolean {
  if (version.hasInstallScript === true) return true
  const scripts = version.scripts
  if (isObject(scripts) && INSTALL_SCRIPTS.some((script) => typeof scripts[script] === 'string')) return true
  // Publishing a package with a binding.gyp adds `scripts.install` and `gypfile: true`.
  return version.gypfile === true
}

function distOf(value: unknown): PackageDist | undefined {
  if (!isObject(value) || typeof value.tarball !== 'string') return undefined
  const dist: PackageDist = { tarball: value.tarball }
  if (typeof value.integrity === 'string') dist.integrity = value.integrity
  if (typeof value.shasum === 'string') dist.shasum = value.shasum
  return dist
}

/** One version of a full or abbreviated document, reduced to {@link PackageManifest}; undefined without a tarball. */
export function reduceManifest(version: Json, packageName: string, key: string): PackageManifest | undefined {
  const dist = distOf(version.dist)
  if (dist === undefined) return undefined
  const name = typeof version.name === 'string' ? version.name : packageName
  const manifest: PackageManifest = {
    name,
    version: typeof version.version === 'string' ? version.version : key,
    dist,
  }
  const dependencies = stringMap(version.dependencies)
  if (dependencies) manifest.dependencies = dependencies
  const optional = stringMap(version.optionalDependencies)
  if (optional) manifest.optionalDependencies = optional
  const peers = stringMap(version.peerDependencies)
  if (peers) manifest.peerDependencies = peers
  if (isObject(version.peerDependenciesMeta)) {
    manifest.peerDependenciesMeta = version.peerDependenciesMeta as Record<string, { optional?: boolean }>
  }
  const bundle = version.bundleDependencies ?? version.bundledDependencies
  if (typeof bundle === 'boolean') manifest.bundleDependencies = bundle
  else if (Array.isArray(bundle)) manifest.bundleDependencies = stringList(bundle) ?? []
  const bin = normaliseBin(version.bin, name)
  if (bin) manifest.bin = bin
  // An array of strings is an old form npm keeps in the lockfile as it is.
  const engines = Array.isArray(version.engines) ? stringList(version.engines) : stringMap(version.engines)
  if (engines) manifest.engines = engines
  const os = stringList(version.os)
  if (os) manifest.os = os
  const cpu = stringList(version.cpu)
  if (cpu) manifest.cpu = cpu
  const libc = stringList(version.libc)
  if (libc) manifest.libc = libc
  const license = licenseOf(version.license)
  if (license !== undefined) manifest.license = license
  if (typeof version.deprecated === 'string' && version.deprecated !== '') {
    manifest.deprecated = version.deprecated
  }
  if (version.funding !== undefined) manifest.funding = version.funding
  if (hasInstallScript(version)) manifest.hasInstallScript = true
  const workspaces = version.workspaces
  if (Array.isArray(workspaces)) manifest.workspaces = stringList(workspaces) ?? []
  else if (isObject(workspaces)) manifest.workspaces = workspaces
  return manifest
}

/**
 * A parsed registry document (abbreviated or full) reduced to a {@link Packument}: everything a
 * resolver and an installer do not read (readmes, times, descriptions, maintainers…) is dropped here.
 * Returns undefined when the value is not a packument at all.
 */
export function reducePackument(doc: unknown, requestedName: string): Packument | undefined {
  if (!isObject(doc)) return undefined
  const name = packageNameOf(doc.name, requestedName)
  const versions: Record<string, PackageManifest> = {}
  if (isObject(doc.versions)) {
    for (const key in doc.versions) addManifest(versions, key, doc.versions[key], name)
  }
  const { modified, ...head } = packumentHead(name, doc['dist-tags'], doc.modified, doc.time)
  return { ...head, versions, ...(modified === undefined ? {} : { modified }) }
}

// The steps of reducePackument, shared with readDocument (_read.ts), which feeds them the same
// values cut out of the document's bytes: both give the same packument.

/** The document's `name`, or the name it was asked for. */
export function packageNameOf(name: unknown, requestedName: string): string {
  return typeof name === 'string' ? name : requestedName
}

/** Adds one entry of `versions`, reduced, unless it is not a version with a tarball. */
function addManifest(
  versions: Record<string, PackageManifest>,
  key: string,
  version: unknown,
  packageName: string,
): void {
  if (!isObject(version)) return
  const manifest = reduceManifest(version, packageName, key)
  if (manifest) versions[key] = manifest
}

/** A packument's head: what the document has besides its versions. */
export interface PackumentHead {
  name: string
  'dist-tags': Record<string, string>
  modified?: string
}

/** The packument's head from its parts; `modified` is the document's, or else `time.modified`. */
export function packumentHead(
  name: string,
  distTags: unknown,
  modified: unknown,
  time: unknown,
): PackumentHead {
  const head: PackumentHead = { name, 'dist-tags': (stringMap(distTags) ?? {}) as Record<string, string> }
  const modifiedAt = typeof modified === 'string' ? modified : modifiedFromTime(time)
  if (modifiedAt !== undefined) head.modified = modifiedAt
  return head
}

function modifiedFromTime(time: unknown): string | undefined {
  return isObject(time) && typeof time.modified === 'string' ? time.modified : undefined
}

/** One version's manifest from its JSON text, reduced; undefined when it is not an object. */
export function readVersion(text: string, name: string, key: string): PackageManifest | undefined {
  let version: unknown
  try {
    version = JSON.parse(text)
  } catch (cause) {
    throw new ToteError('EBADJSON', `Invalid JSON in version ${key} of '${name}'`, {
      hint: 'The document was damaged on its way or in the cache; run again with --prefer-online.',
      cause,
      details: { packageName: name, version: key },
    })
  }
  return isObject(version) ? reduceManifest(version, name, key) : undefined
}
