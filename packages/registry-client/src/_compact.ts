// Cuts a registry document down to what tote reads, while scanning it. A full document carries
// every version's scripts, devDependencies, exports, descriptions, signatures…: for ant-design's
// 2,612 documents, 275 MB of which 72 MB are members that reduceManifest reads. Keeping the whole
// document for lazy reading, and writing it to the metadata cache, costs fresh memory and page
// cache for every byte (a fresh page costs ~20 µs on the machines measured); the compact copy is a
// quarter of that, and the received chunks are freed for the next responses to reuse.
//
// The compact document is JSON that reduces to the same packument: the kept members are copied
// byte for byte, in their order (so a repeated key still resolves as JSON.parse would), and only
// the separators between them are written anew.
import { Buffer, isAscii } from 'node:buffer'
import { skipSpace, valueEnd, walkMembers } from './_scan.js'

export interface Range {
  start: number
  end: number
}

/** A compact document and where the members a packument is made of sit in it. */
export interface CompactDocument {
  /** The compact document, in memory of its own. */
  bytes: Buffer
  /** `latin1` when the compact document is ASCII (decoding is then a plain copy), else `utf8`. */
  encoding: 'latin1' | 'utf8'
  name: Range | undefined
  distTags: Range | undefined
  modified: Range | undefined
  time: Range | undefined
  /** Each version's (compact) manifest, in document order. */
  versions: Map<string, Range>
}

/** The members of a version that reduceManifest (see _reduce.ts) reads. */
const VERSION_KEYS = [
  'name',
  'version',
  'dist',
  'dependencies',
  'optionalDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'bundleDependencies',
  'bundledDependencies',
  'bin',
  'engines',
  'os',
  'cpu',
  'libc',
  'license',
  'deprecated',
  'funding',
  'hasInstallScript',
  'scripts',
  'gypfile',
  'workspaces',
]
/** Of `dist` and `scripts`, only these members are read. */
const INNER_KEYS: Record<string, string[]> = {
  dist: ['tarball', 'integrity', 'shasum'],
  scripts: ['preinstall', 'install', 'postinstall'],
}

const OPEN_OBJECT = 0x7b

/**
 * Tells which of `names` a key is (its index, or -1), from its bytes (quotes included), without
 * making a string: every member of every version is asked about (ant-design: millions).
 */
function keyMatcher(
  names: readonly string[],
): (bytes: Buffer, start: number, end: number, escaped: boolean) => number {
  const byLength: { index: number; bytes: Buffer }[][] = []
  names.forEach((name, index) => {
    byLength[name.length] ??= []
    byLength[name.length]!.push({ index, bytes: Buffer.from(name, 'latin1') })
  })
  return (bytes, start, end, escaped) => {
    // A key spelled with escapes is decoded (rare).
    if (escaped) return names.indexOf(JSON.parse(bytes.toString('utf8', start, end)) as string)
    const length = end - start - 2
    const candidates = byLength[length]
    if (candidates === undefined) return -1
    outer: for (const candidate of candidates) {
      for (let index = 0; index < length; index++) {
        if (bytes[start + 1 + index] !== candidate.bytes[index]) continue outer
      }
      return candidate.index
    }
    return -1
  }
}

const TOP_LEVEL_KEYS = ['name', 'dist-tags', 'modified', 'time', 'versions'] as const
const topLevelKey = keyMatcher(TOP_LEVEL_KEYS)
const versionKey = keyMatcher(VERSION_KEYS)
const DIST = VERSION_KEYS.indexOf('dist')
const SCRIPTS = VERSION_KEYS.indexOf('scripts')
const distKey = keyMatcher(INNER_KEYS.dist!)
const scriptsKey = keyMatcher(INNER_KEYS.scripts!)
const timeKey = keyMatcher(['modified'])

// The compact document is written here first (one buffer per thread, reused), then copied into
// memory of its exact size.
let scratch = Buffer.allocUnsafeSlow(1 << 20)

/** Scans `bytes` (one whole document) and returns its compact form; undefined when it is not an object of members. */
export function compactDocument(bytes: Buffer): CompactDocument | undefined {
  const end = bytes.length
  if (scratch.length < end + 64) scratch = Buffer.allocUnsafeSlow(Math.max(scratch.length * 2, end + 64))
  const out = scratch
  let at = 0
  const put = (byte: number) => {
    out[at++] = byte
  }
  const copy = (start: number, stop: number) => {
    if (stop - start < 48) for (let index = start; index < stop; index++) out[at++] = bytes[index]!
    else at += bytes.copy(out, at, start, stop)
  }
  // Version keys are short: latin1 (a plain copy) when they are ASCII, as nearly all are.
  const keyOf = (start: number, stop: number, escaped: boolean): string => {
    if (escaped) return JSON.parse(bytes.toString('utf8', start, stop)) as string
    for (let index = start + 1; index < stop - 1; index++) {
      if (bytes[index]! > 0x7f) return bytes.toString('utf8', start + 1, stop - 1)
    }
    return bytes.toString('latin1', start + 1, stop - 1)
  }

  /**
   * Copies the object at `start` with only the members `keep` knows; in a version, `dist` and
   * `scripts` are cut further. Returns the index after the object in `bytes`.
   */
  const filtered = (start: number, keep: typeof versionKey, version: boolean): number => {
    put(OPEN_OBJECT)
    let first = true
    const stop = walkMembers(bytes, start, end, (keyStart, keyEnd, valueStart, escaped) => {
      const key = keep(bytes, keyStart, keyEnd, escaped)
      if (key === -1) return valueEnd(bytes, valueStart, end)
      if (!first) put(0x2c)
      first = false
      copy(keyStart, keyEnd)
      put(0x3a)
      if (version && (key === DIST || key === SCRIPTS) && bytes[valueStart] === OPEN_OBJECT) {
        return filtered(valueStart, key === DIST ? distKey : scriptsKey, false)
      }
      const valueStop = valueEnd(bytes, valueStart, end)
      if (valueStop !== -1) copy(valueStart, valueStop)
      return valueStop
    })
    put(0x7d)
    return stop
  }

  const read: Record<'name' | 'dist-tags' | 'modified' | 'time', Range | undefined> = {
    name: undefined,
    'dist-tags': undefined,
    modified: undefined,
    time: undefined,
  }
  let versions: Map<string, Range> | undefined
  let first = true
  const member = (keyStart: number, keyEnd: number) => {
    if (!first) put(0x2c)
    first = false
    copy(keyStart, keyEnd)
    put(0x3a)
  }
  const start = skipSpace(bytes, 0, end)
  put(OPEN_OBJECT)
  const stop = walkMembers(bytes, start, end, (keyStart, keyEnd, valueStart, escaped) => {
    const key = TOP_LEVEL_KEYS[topLevelKey(bytes, keyStart, keyEnd, escaped)]
    if (key === undefined) return valueEnd(bytes, valueStart, end)
    if (key === 'versions') {
      if (bytes[valueStart] !== OPEN_OBJECT) {
        versions = undefined
        return valueEnd(bytes, valueStart, end)
      }
      const found = new Map<string, Range>()
      versions = found
      member(keyStart, keyEnd)
      put(OPEN_OBJECT)
      let firstVersion = true
      const versionsStop = walkMembers(
        bytes,
        valueStart,
        end,
        (versionStart, versionEnd, manifestStart, escaped) => {
          if (!firstVersion) put(0x2c)
          firstVersion = false
          copy(versionStart, versionEnd)
          put(0x3a)
          const from = at
          let manifestStop: number
          if (bytes[manifestStart] === OPEN_OBJECT) manifestStop = filtered(manifestStart, versionKey, true)
          else {
            manifestStop = valueEnd(bytes, manifestStart, end)
            if (manifestStop !== -1) copy(manifestStart, manifestStop)
          }
          if (manifestStop !== -1)
            found.set(keyOf(versionStart, versionEnd, escaped), { start: from, end: at })
          return manifestStop
        },
      )
      put(0x7d)
      return versionsStop
    }
    member(keyStart, keyEnd)
    const from = at
    let valueStop: number
    // Of `time` (a member per version), only `modified` is read.
    if (key === 'time' && bytes[valueStart] === OPEN_OBJECT) valueStop = filtered(valueStart, timeKey, false)
    else {
      valueStop = valueEnd(bytes, valueStart, end)
      if (valueStop !== -1) copy(valueStart, valueStop)
    }
    read[key as keyof typeof read] = { start: from, end: at }
    return valueStop
  })
  if (stop === -1 || skipSpace(bytes, stop, end) !== end) return undefined
  put(0x7d)
  const compact = Buffer.allocUnsafeSlow(at)
  out.copy(compact, 0, 0, at)
  return {
    bytes: compact,
    // Asked of the kept bytes only: a quarter of the document or less.
    encoding: isAscii(compact) ? 'latin1' : 'utf8',
    name: read.name,
    distTags: read['dist-tags'],
    modified: read.modified,
    time: read.time,
    versions: versions ?? new Map(),
  }
}
