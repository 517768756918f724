// Just enough semver to order versions and pick the default `latest` tag.

interface Parsed {
  core: [number, number, number]
  prerelease: string[]
}

const VERSION = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/

function parse(version: string): Parsed | undefined {
  const match = VERSION.exec(version)
  if (!match) return undefined
  return {
    core: [Number(match[1]), Number(match[2]), Number(match[3])],
    prerelease: match[4] === undefined ? [] : match[4].split('.'),
  }
}

function compareIdentifiers(a: string, b: string): number {
  const aNumeric = /^\d+$/.test(a)
  const bNumeric = /^\d+$/.test(b)
  if (aNumeric && bNumeric) return Number(a) - Number(b)
  if (aNumeric) return -1
  if (bNumeric) return 1
  return a < b ? -1 : a > b ? 1 : 0
}

/** Semver order; strings that are not versions sort before every version, among themselves by text. */
export function compareVersions(a: string, b: string): number {
  const pa = parse(a)
  const pb = parse(b)
  if (!pa || !pb) {
    if (pa) return 1
    if (pb) return -1
    return a < b ? -1 : a > b ? 1 : 0
  }
  for (let i = 0; i < 3; i++) {
    const diff = pa.core[i]! - pb.core[i]!
    if (diff !== 0) return diff
  }
  if (pa.prerelease.length === 0 || pb.prerelease.length === 0) {
    return pb.prerelease.length - pa.prerelease.length
  }
  const length = Math.max(pa.prerelease.length, pb.prerelease.length)
  for (let i = 0; i < length; i++) {
    const x = pa.prerelease[i]
    const y = pb.prerelease[i]
    if (x === undefined) return -1
    if (y === undefined) return 1
    const diff = compareIdentifiers(x, y)
    if (diff !== 0) return diff
  }
  return 0
}

/** The highest version without a prerelease part; the highest of all when every version has one. */
export function defaultLatest(versions: string[]): string | undefined {
  const sorted = [...versions].sort(compareVersions)
  const releases = sorted.filter((version) => parse(version)?.prerelease.length === 0)
  return releases.at(-1) ?? sorted.at(-1)
}
