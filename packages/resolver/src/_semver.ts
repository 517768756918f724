import semver from 'semver'

// semver, with the parsing cached: a resolve tests the same versions and ranges hundreds of thousands
// of times, and parsing is what costs. Caches are cleared when they grow large.

const versions = new Map<string, semver.SemVer | null>()
const ranges = new Map<string, semver.Range | null>()
const limit = 200_000

/** What every loose version starts with: semver throws (and catches) for the rest, which is slow. */
const versionStart = /^\s*[v=\s]*\d+\.\d+\.\d+/

/** The parsed (loose) version, or null when it is not one. */
export function parseVersion(version: string): semver.SemVer | null {
  let parsed = versions.get(version)
  if (parsed === undefined) {
    if (versions.size > limit) versions.clear()
    parsed = versionStart.test(version) ? semver.parse(version, true) : null
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
  if (typeof version === 'string') {
    const quick = quickSatisfies(version, range)
    if (quick !== undefined) return quick
  }
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

/**
 * A range of one comparator on a release (`1.2.3`, `^1.2.3`, `~1.2.3`, `>=1.2.3`, loose spacing and
 * `v`/`=` allowed): most of a lockfile's, read without building a semver Range (parsing thousands of
 * them was most of loading ant-design's lockfile). Bounds as semver sets them: `[low, high)`.
 */
const simpleRange = /^\s*(\^|~|>=)?\s*[v=\s]*(\d{1,9})\.(\d{1,9})\.(\d{1,9})\s*$/
const simpleVersion = /^\s*[v=\s]*(\d{1,9})\.(\d{1,9})\.(\d{1,9})(-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?\s*$/
type Triple = [number, number, number]
interface Bounds {
  low: Triple
  /** Undefined: no upper bound. */
  high: Triple | undefined
}
const rangeBounds = new Map<string, Bounds | null>()

function boundsOf(range: string): Bounds | null {
  let bounds = rangeBounds.get(range)
  if (bounds === undefined) {
    if (rangeBounds.size > limit) rangeBounds.clear()
    const m = simpleRange.exec(range)
    if (!m) bounds = null
    else {
      const low: Triple = [+m[2]!, +m[3]!, +m[4]!]
      const [major, minor, patch] = low
      const operator = m[1]
      const high: Triple | undefined =
        operator === '>='
          ? undefined
          : operator === '^'
            ? major > 0
              ? [major + 1, 0, 0]
              : minor > 0
                ? [0, minor + 1, 0]
                : [0, 0, patch + 1]
            : operator === '~'
              ? [major, minor + 1, 0]
              : [major, minor, patch + 1]
      bounds = { low, high }
    }
    rangeBounds.set(range, bounds)
  }
  return bounds
}

/** True for a range of one comparator on a release (see simpleRange): valid without parsing it. */
export function isSimpleRange(range: string): boolean {
  return boundsOf(range) !== null
}

function compareTriples(a: Triple, b: Triple): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2]
}

/**
 * satisfies() for a simple range (see simpleRange) and a version read by a regular expression;
 * undefined when either is not that simple (semver decides then). A prerelease never satisfies a
 * range that names none, as semver's rule has it.
 */
export function quickSatisfies(version: string, range: string): boolean | undefined {
  const bounds = boundsOf(range)
  if (!bounds) return undefined
  const m = simpleVersion.exec(version)
  if (!m) return undefined
  if (m[4]) return false
  const triple: Triple = [+m[1]!, +m[2]!, +m[3]!]
  return (
    compareTriples(triple, bounds.low) >= 0 &&
    (bounds.high === undefined || compareTriples(triple, bounds.high) < 0)
  )
}
