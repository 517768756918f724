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

/** A version string with its numbers, read without building a SemVer. */
export interface VersionKey {
  raw: string
  major: number
  minor: number
  patch: number
  pre: string[] | undefined
}
type Key = VersionKey

/** The versions of a packument, highest first, sorted without building SemVer objects. */
export function sortVersionsDescending(list: readonly string[]): VersionKey[] {
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
  return keys
}

/**
 * A quick test of `key` against `range` that never says no where semver would say yes: false rules
 * the version out; true means it may match (the caller then asks semver). Picking walks the
 * versions of a packument highest first until one satisfies, and building a SemVer for each of the
 * thousands passed over was a tenth of a second for ant-design.
 */
export function mayMatch(range: semver.Range, key: VersionKey): boolean {
  const sets = comparatorSets(range)
  if (sets === undefined) return true
  if (key.pre?.length) {
    // semver's rule: a prerelease matches only a set that names a prerelease of the same numbers.
    const numbers = `${key.major}.${key.minor}.${key.patch}`
    return sets.some((set) => set.prereleases.includes(numbers))
  }
  return sets.some((set) => set.comparators.every((comparator) => releaseMeets(key, comparator)))
}

interface QuickComparator {
  operator: '' | '=' | '<' | '<=' | '>' | '>='
  major: number
  minor: number
  patch: number
  /** The comparator's version is a prerelease (a release of the same numbers is above it). */
  pre: boolean
}

interface QuickSet {
  comparators: QuickComparator[]
  /** `major.minor.patch` of the set's prerelease comparators. */
  prereleases: string[]
}

const quickSets = new WeakMap<semver.Range, QuickSet[] | null>()
/** The version of a `*` comparator (semver's types do not declare it). */
const ANY = (semver.Comparator as unknown as { ANY: unknown }).ANY
const OPERATORS = new Set(['', '=', '<', '<=', '>', '>='])

/** The range's comparator sets in a form `mayMatch` reads; undefined for an operator it does not know. */
function comparatorSets(range: semver.Range): QuickSet[] | undefined {
  let sets = quickSets.get(range)
  if (sets === undefined) {
    sets = []
    for (const set of range.set) {
      const comparators: QuickComparator[] = []
      const prereleases: string[] = []
      for (const comparator of set) {
        if (comparator.semver === ANY) continue
        if (!OPERATORS.has(comparator.operator)) {
          sets = null
          break
        }
        const { major, minor, patch, prerelease: pre } = comparator.semver
        if (pre.length > 0) prereleases.push(`${major}.${minor}.${patch}`)
        comparators.push({
          operator: comparator.operator as QuickComparator['operator'],
          major,
          minor,
          patch,
          pre: pre.length > 0,
        })
      }
      if (sets === null) break
      sets.push({ comparators, prereleases })
    }
    quickSets.set(range, sets)
  }
  return sets ?? undefined
}

function releaseMeets(key: VersionKey, comparator: QuickComparator): boolean {
  let order = key.major - comparator.major || key.minor - comparator.minor || key.patch - comparator.patch
  if (order === 0 && comparator.pre) order = 1
  switch (comparator.operator) {
    case '':
    case '=':
      return order === 0
    case '<':
      return order < 0
    case '<=':
      return order <= 0
    case '>':
      return order > 0
    case '>=':
      return order >= 0
  }
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
