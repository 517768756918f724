import type { LazyPackument, PackageManifest } from '@tote/types'
import semver from 'semver'
import {
  mayMatch,
  parseRange,
  parseVersion,
  satisfies,
  sortVersionsDescending,
  type VersionKey,
} from './_semver.js'
import type { ParsedSpec } from './_spec.js'

/** What npm's engines preference compares against. */
export interface EngineVersions {
  nodeVersion: string
  npmVersion: string | undefined
}

interface ParsedVersions {
  /**
   * Versions of the packument, highest first (invalid version strings left out); sorted only when
   * a range is not met by the `latest` tag, which spares most packuments (typescript: 3,400 versions).
   */
  sorted: VersionKey[] | undefined
  picks: Map<string, PackageManifest | null>
}

const parsedByPackument = new WeakMap<LazyPackument, ParsedVersions>()
/** For a packument seen as of a date (see {@link publishedBy}): its versions published after it. */
const hiddenVersions = new WeakMap<LazyPackument, ReadonlySet<string>>()
const engineOkByManifest = new WeakMap<PackageManifest, boolean>()

function parsedVersions(packument: LazyPackument): ParsedVersions {
  let parsed = parsedByPackument.get(packument)
  if (!parsed) {
    parsed = { sorted: undefined, picks: new Map() }
    parsedByPackument.set(packument, parsed)
  }
  return parsed
}

function sortedVersions(packument: LazyPackument): VersionKey[] {
  const parsed = parsedVersions(packument)
  parsed.sorted ??= sortVersionsDescending(packument.versions.keys())
  return parsed.sorted
}

/** npm-install-checks' engine test: false when `engines.node` (or `engines.npm`) rules the running versions out. */
export function engineOk(manifest: PackageManifest, engines: EngineVersions): boolean {
  let ok = engineOkByManifest.get(manifest)
  if (ok === undefined) {
    const eng = manifest.engines
    ok = true
    if (eng && typeof eng === 'object' && !Array.isArray(eng)) {
      const opt = { includePrerelease: true }
      if (typeof eng.node === 'string' && !engineSatisfies(engines.nodeVersion, eng.node, opt)) ok = false
      if (
        engines.npmVersion &&
        typeof eng.npm === 'string' &&
        !engineSatisfies(engines.npmVersion, eng.npm, opt)
      )
        ok = false
    }
    engineOkByManifest.set(manifest, ok)
  }
  return ok
}

/**
 * npm-pick-manifest's choice for a tag, version or range: a tag or an exact version must exist as
 * such; for a range, the `latest` dist-tag wins when it satisfies (and is neither deprecated nor
 * ruled out by engines), else the best satisfying version ordered by (not deprecated and engine
 * ok), engine ok, not deprecated, then highest version.
 * Prereleases only match ranges that name a prerelease of the same version tuple (semver's rule).
 */
export function pickManifest(
  packument: LazyPackument,
  spec: ParsedSpec,
  engines: EngineVersions,
): PackageManifest | null {
  const { versions } = packument
  if (spec.type === 'tag') {
    const version = packument['dist-tags']?.[spec.tag]
    // npm's `before`: a tag on a version published after the limit means the highest one up to it
    if (version !== undefined && hiddenVersions.get(packument)?.has(version)) {
      return pickManifest(
        packument,
        { type: 'range', name: spec.name, range: `<=${version}`, alias: spec.alias },
        engines,
      )
    }
    return (version !== undefined && versions.get(version)) || null
  }
  if (spec.type === 'version') return versions.get(spec.version) ?? null
  if (spec.type !== 'range') return null
  const parsed = parsedVersions(packument)
  const cached = parsed.picks.get(spec.range)
  if (cached !== undefined) return cached
  const picked = pickFromRange(packument, spec.range, engines)
  parsed.picks.set(spec.range, picked)
  return picked
}

const engineChecks = new Map<string, boolean>()

function engineSatisfies(version: string, range: string, options: semver.RangeOptions): boolean {
  const key = `${version} ${range}`
  let ok = engineChecks.get(key)
  if (ok === undefined) {
    ok = semver.satisfies(version, range, options)
    engineChecks.set(key, ok)
  }
  return ok
}

/** npm's first choice for a range: the `latest` version, when it satisfies and is neither deprecated nor ruled out by engines. */
function preferredLatest(
  packument: LazyPackument,
  rangeText: string,
  engines: EngineVersions,
): PackageManifest | undefined {
  const latest = packument['dist-tags']?.latest
  if (latest === undefined || !(rangeText === '*' || satisfies(latest, rangeText))) return undefined
  const manifest = packument.versions.get(latest)
  return manifest && !manifest.deprecated && engineOk(manifest, engines) ? manifest : undefined
}

/**
 * The one version's document that may settle `spec` without its packument: the exact version, the
 * tag, or for a range the `latest` tag (npm's first choice). Undefined for specs it cannot settle.
 */
export function versionSelector(spec: ParsedSpec): string | undefined {
  if (spec.type === 'version') return spec.version
  if (spec.type === 'tag') return spec.tag
  return spec.type === 'range' ? 'latest' : undefined
}

/**
 * npm's pick for `spec` from a document holding only the version {@link versionSelector} names,
 * when that document settles it: the same manifest {@link pickManifest} would pick from the whole
 * packument. Undefined when only the packument can tell (a range `latest` does not satisfy, or
 * npm would pass over: deprecated, or ruled out by engines).
 */
export function pickFromVersionDocument(
  document: LazyPackument,
  spec: ParsedSpec,
  engines: EngineVersions,
): PackageManifest | undefined {
  if (spec.type === 'version' || spec.type === 'tag')
    return pickManifest(document, spec, engines) ?? undefined
  if (spec.type !== 'range' || !parseRange(spec.range)) return undefined
  return preferredLatest(document, spec.range, engines)
}

function pickFromRange(
  packument: LazyPackument,
  rangeText: string,
  engines: EngineVersions,
): PackageManifest | null {
  const versions = packument.versions
  const range = parseRange(rangeText)
  if (!range) return null
  const preferred = preferredLatest(packument, rangeText, engines)
  if (preferred) return preferred
  let best: PackageManifest | null = null
  let bestScore = -1
  // Highest first, so the first one with the best score wins the tie on version.
  for (const key of sortedVersions(packument)) {
    if (!mayMatch(range, key)) continue
    const parsed = parseVersion(key.raw)
    if (!parsed || !range.test(parsed)) continue
    const manifest = versions.get(key.raw)
    if (!manifest) continue
    const notDeprecated = !manifest.deprecated
    const engine = engineOk(manifest, engines)
    const score = (notDeprecated && engine ? 4 : 0) + (engine ? 2 : 0) + (notDeprecated ? 1 : 0)
    if (score > bestScore) {
      best = manifest
      bestScore = score
      if (score === 7) break
    }
  }
  return best
}

/**
 * Versions near what `spec` asks for, for an ETARGET message: a few below and above where it would
 * sit, prereleases left out unless the spec names one.
 */
export function nearestVersions(packument: LazyPackument, spec: ParsedSpec, count = 3): string[] {
  const sorted = sortedVersions(packument)
    .map((key) => parseVersion(key.raw))
    .filter((v): v is semver.SemVer => v !== null)
    .reverse()
  if (sorted.length === 0) return []
  let anchor: semver.SemVer | null = null
  if (spec.type === 'version') anchor = semver.parse(spec.version, true)
  else if (spec.type === 'range') {
    try {
      anchor = semver.minVersion(spec.range, { loose: true })
    } catch {
      anchor = null
    }
  }
  // Prereleases only when the spec asks for one: otherwise the hint would offer betas nobody wants.
  const wantsPrerelease = anchor !== null && anchor.prerelease.length > 0
  const candidates = wantsPrerelease ? sorted : sorted.filter((v) => v.prerelease.length === 0)
  if (!anchor) return candidates.slice(-count * 2).map((v) => v.version)
  const at = candidates.findIndex((v) => v.compare(anchor) >= 0)
  const index = at === -1 ? candidates.length : at
  return candidates.slice(Math.max(0, index - count), index + count).map((v) => v.version)
}

/**
 * The packument as npm's `before` sees it (npm-pick-manifest): only versions published at or before
 * `before` (ms since the epoch), by `time` (version → ISO date); a version `time` does not date
 * stays. A tag on a later version picks the highest version up to it ({@link pickManifest}).
 */
export function publishedBy(
  packument: LazyPackument,
  time: Readonly<Record<string, unknown>>,
  before: number,
): LazyPackument {
  const hidden = new Set<string>()
  for (const version of packument.versions.keys()) {
    const published = time[version]
    if (typeof published === 'string' && Date.parse(published) > before) hidden.add(version)
  }
  if (hidden.size === 0) return packument
  const { versions } = packument
  const kept = versions.keys().filter((version) => !hidden.has(version))
  const restricted: LazyPackument = {
    ...packument,
    versions: {
      get: (version) => (hidden.has(version) ? undefined : versions.get(version)),
      has: (version) => !hidden.has(version) && versions.has(version),
      keys: () => kept,
    },
  }
  hiddenVersions.set(restricted, hidden)
  return restricted
}
