import semver from 'semver'

// semver, with the parsing cached: a resolve tests the same versions and ranges hundreds of thousands
// of times, and parsing is what costs. Caches are cleared when they grow large.

const versions = new Map<string, semver.SemVer | null>()
const ranges = new Map<string, semver.Range | null>()
const limit = 200_000

/** The parsed (loose) version, or null when it is not one. */
export function parseVersion(version: string): semver.SemVer | null {
  let parsed = versions.get(version)
  if (parsed === undefined) {
    if (versions.size > limit) versions.clear()
    parsed = semver.parse(version, true)
    versions.set(version, parsed)
  }
  return parsed
}

/** The parsed (loose) range, or null when it is not one. */
export function parseRange(range: string): semver.Range | null {
  let parsed = ranges.get(range)
  if (parsed === undefined) {
    if (ranges.size > limit) ranges.clear()
    try {
      parsed = new semver.Range(range, { loose: true })
    } catch {
      parsed = null
    }
    ranges.set(range, parsed)
  }
  return parsed
}

/** semver.satisfies(version, range, loose), cached. */
export function satisfies(version: string | semver.SemVer, range: string): boolean {
  const parsedVersion = typeof version === 'string' ? parseVersion(version) : version
  const parsedRange = parseRange(range)
  return !!parsedVersion && !!parsedRange && parsedRange.test(parsedVersion)
}

/** a >= b for two valid versions; false when either is not a version. */
export function gte(a: string, b: string): boolean {
  const va = parseVersion(a)
  const vb = parseVersion(b)
  return !!va && !!vb && va.compare(vb) >= 0
}

const simple = /^[v=\s]*(\d{1,15})\.(\d{1,15})\.(\d{1,15})(?:-?([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?\s*$/

interface Key {
  raw: string
  major: number
  minor: number
  patch: number
  pre: string[] | undefined
}

/** The versions of a packument, highest first, sorted without building SemVer objects. */
export function sortVersionsDescending(list: string[]): string[] {
  const keys: Key[] = []
  for (const raw of list) {
    const m = simple.exec(raw)
    if (m) keys.push({ raw, major: +m[1]!, minor: +m[2]!, patch: +m[3]!, pre: m[4]?.split('.') })
    else {
      const v = parseVersion(raw)
      if (v) keys.push({ raw, major: v.major, minor: v.minor, patch: v.patch, pre: v.prerelease.map(String) })
    }
  }
  keys.sort((a, b) => compareKeys(b, a))
  return keys.map((k) => k.raw)
}

function compareKeys(a: Key, b: Key): number {
  if (a.major !== b.major) return a.major - b.major
  if (a.minor !== b.minor) return a.minor - b.minor
  if (a.patch !== b.patch) return a.patch - b.patch
  if (!a.pre?.length) return b.pre?.length ? 1 : 0
  if (!b.pre?.length) return -1
  for (let i = 0; ; i++) {
    const x = a.pre[i]
    const y = b.pre[i]
    if (x === undefined && y === undefined) return 0
    if (x === undefined) return -1
    if (y === undefined) return 1
    if (x === y) continue
    const xn = /^\d+$/.test(x)
    const yn = /^\d+$/.test(y)
    if (xn && yn) return +x - +y
    if (xn) return -1
    if (yn) return 1
    return x < y ? -1 : 1
  }
}
