import { type BuiltTarball, binMap, sha1Hex, sha512Integrity } from './_pack.js'
import { compareVersions, defaultLatest } from './_semver.js'
import type { PackageSpec, VersionSpec } from './types.js'

/** Every date in a packument counts from here, so documents (and their etags) are reproducible. */
export const BASE_TIME = Date.UTC(2020, 0, 1)
const MINUTE = 60_000

export interface RenderInput {
  name: string
  spec: PackageSpec
  /** Time of the package's last change (ms since the epoch). */
  modified: number
  tarball(version: string): BuiltTarball
  tarballUrl(version: string): string
}

export interface RenderOptions {
  abbreviated: boolean
  wrongIntegrity: boolean
}

const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall']

/** Fields copied from the spec into a full version document, in this order. */
const FULL_FIELDS = [
  'license',
  'scripts',
  'dependencies',
  'devDependencies',
  'optionalDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'bundleDependencies',
  'engines',
  'os',
  'cpu',
  'libc',
  'deprecated',
] as const

/** The version fields npm's abbreviated ("corgi") metadata keeps. */
const ABBREVIATED_FIELDS = [
  'dependencies',
  'optionalDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'bundleDependencies',
  'engines',
  'os',
  'cpu',
  'libc',
  'deprecated',
] as const

function dist(input: RenderInput, version: string, wrongIntegrity: boolean): Record<string, unknown> {
  const built = input.tarball(version)
  // A wrong but well-formed hash: that of different bytes.
  const hashed = wrongIntegrity ? Buffer.concat([built.bytes, Buffer.from('wrong')]) : built.bytes
  const integrity = wrongIntegrity ? sha512Integrity(hashed) : built.integrity
  const shasum = wrongIntegrity ? sha1Hex(hashed) : built.shasum
  const result: Record<string, unknown> = { tarball: input.tarballUrl(version), integrity, shasum }
  if (built.fileCount !== undefined) result.fileCount = built.fileCount
  if (built.unpackedSize !== undefined) result.unpackedSize = built.unpackedSize
  return result
}

function versionDocument(
  input: RenderInput,
  version: string,
  spec: VersionSpec,
  options: RenderOptions,
): Record<string, unknown> {
  const doc: Record<string, unknown> = { name: input.name, version }
  const bin = binMap(input.name, spec.bin)
  if (options.abbreviated) {
    for (const field of ABBREVIATED_FIELDS) if (spec[field] !== undefined) doc[field] = spec[field]
    if (bin) doc.bin = bin
    doc.dist = dist(input, version, options.wrongIntegrity)
    if (INSTALL_SCRIPTS.some((script) => spec.scripts?.[script] !== undefined)) doc.hasInstallScript = true
    doc._hasShrinkwrap = false
    return doc
  }
  if (bin) doc.bin = bin
  for (const field of FULL_FIELDS) if (spec[field] !== undefined) doc[field] = spec[field]
  doc._id = `${input.name}@${version}`
  doc.dist = dist(input, version, options.wrongIntegrity)
  doc._hasShrinkwrap = false
  return doc
}

/** The package's versions, lowest first (the order a registry lists them after publishing in order). */
export function sortedVersions(spec: PackageSpec): string[] {
  return Object.keys(spec.versions).sort(compareVersions)
}

export function distTags(spec: PackageSpec): Record<string, string> {
  const latest = defaultLatest(Object.keys(spec.versions))
  return { ...(latest === undefined ? {} : { latest }), ...spec.distTags }
}

/** The packument npm's registry would serve: full, or abbreviated for `application/vnd.npm.install-v1+json`. */
export function renderPackument(input: RenderInput, options: RenderOptions): Record<string, unknown> {
  const versions = sortedVersions(input.spec)
  const modified = new Date(input.modified).toISOString()
  const documents: Record<string, unknown> = {}
  for (const version of versions) {
    documents[version] = versionDocument(input, version, input.spec.versions[version]!, options)
  }
  if (options.abbreviated) {
    return { name: input.name, modified, 'dist-tags': distTags(input.spec), versions: documents }
  }
  const time: Record<string, string> = { created: new Date(BASE_TIME).toISOString(), modified }
  versions.forEach((version, index) => {
    const published = input.spec.versions[version]!.time
    time[version] = new Date(published ?? BASE_TIME + (index + 1) * MINUTE).toISOString()
  })
  return {
    _id: input.name,
    name: input.name,
    'dist-tags': distTags(input.spec),
    versions: documents,
    time,
    modified,
  }
}
