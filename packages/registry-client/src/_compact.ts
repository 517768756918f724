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
  /** `latin1` when the received document is ASCII (decoding is then a plain copy), else `utf8`. */
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

const BACKSLASH = 0x5c
const OPEN_OBJECT = 0x7b

/** Tells which of `names` a key is, from its bytes (quotes included), without making a string. */
function keyMatcher(
  names: readonly string[],
): (bytes: Buffer, start: number, end: number) => string | undefined {
  const byLength = new Map<number, { name: string; bytes: Buffer }[]>()
  for (const name of names) {
    const list = byLength.get(name.length) ?? []
    list.push({ name, bytes: Buffer.from(name, 'latin1') })
    byLength.set(name.length, list)
  }
  return (bytes, start, end) => {
    const length = end - start - 2
    for (let index = start + 1; index < end - 1; index++) {
      // A key spelled with escapes is decoded (rare).
      if (bytes[index] === BACKSLASH) {
        const key = JSON.parse(bytes.toString('utf8', start, end)) as string
        return names.includes(key) ? key : undefined
      }
    }
    const candidates = byLength.get(length)
    if (candidates === undefined) return undefined
    outer: for (const candidate of candidates) {
      for (let index = 0; index < length; index++) {
        if (bytes[start + 1 + index] !== candidate.bytes[index]) continue outer
      }
      return candidate.name
    }
    return undefined
  }
}

const topLevelKey = keyMatcher(['name', 'dist-tags', 'modified', 'time', 'versions'])
const versionKey = keyMatcher(VERSION_KEYS)
const innerKey = { dist: keyMatcher(INNER_KEYS.dist!), scripts: keyMatcher(INNER_KEYS.scripts!) }
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
  const encoding = isAscii(bytes) ? 'latin1' : 'utf8'
  const keyOf = (start: number, stop: number): string => {
    for (let index = start + 1; index < stop - 1; index++) {
      if (bytes[index] === BACKSLASH) return JSON.parse(bytes.toString('utf8', start, stop)) as string
    }
    return bytes.toString(encoding, start + 1, stop - 1)
  }

  /** Copies the object at `start` with only the members `keep` names; returns the index after it in `bytes`. */
  const filtered = (
    start: number,
    keep: (bytes: Buffer, start: number, end: number) => string | undefined,
    inner?: (key: string, valueStart: number) => number | undefined,
  ): number => {
    put(OPEN_OBJECT)
    let first = true
    const stop = walkMembers(bytes, start, end, (keyStart, keyEnd, valueStart) => {
      const key = keep(bytes, keyStart, keyEnd)
      if (key === undefined) return valueEnd(bytes, valueStart, end)
      if (!first) put(0x2c)
      first = false
      copy(keyStart, keyEnd)
      put(0x3a)
      const nested = inner?.(key, valueStart)
      if (nested !== undefined) return nested
      const valueStop = valueEnd(bytes, valueStart, end)
      if (valueStop !== -1) copy(valueStart, valueStop)
      return valueStop
    })
    put(0x7d)
    return stop
  }
  const versionInner = (key: string, valueStart: number): number | undefined => {
    const matcher = key === 'dist' ? innerKey.dist : key === 'scripts' ? innerKey.scripts : undefined
    return matcher && bytes[valueStart] === OPEN_OBJECT ? filtered(valueStart, matcher) : undefined
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
  const stop = walkMembers(bytes, start, end, (keyStart, keyEnd, valueStart) => {
    const key = topLevelKey(bytes, keyStart, keyEnd)
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
      const versionsStop = walkMembers(bytes, valueStart, end, (versionStart, versionEnd, manifestStart) => {
        if (!firstVersion) put(0x2c)
        firstVersion = false
        copy(versionStart, versionEnd)
        put(0x3a)
        const from = at
        let manifestStop: number
        if (bytes[manifestStart] === OPEN_OBJECT)
          manifestStop = filtered(manifestStart, versionKey, versionInner)
        else {
          manifestStop = valueEnd(bytes, manifestStart, end)
          if (manifestStop !== -1) copy(manifestStart, manifestStop)
        }
        if (manifestStop !== -1) found.set(keyOf(versionStart, versionEnd), { start: from, end: at })
        return manifestStop
      })
      put(0x7d)
      return versionsStop
    }
    member(keyStart, keyEnd)
    const from = at
    let valueStop: number
    // Of `time` (a member per version), only `modified` is read.
    if (key === 'time' && bytes[valueStart] === OPEN_OBJECT) valueStop = filtered(valueStart, timeKey)
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
    encoding,
    name: read.name,
    distTags: read['dist-tags'],
    modified: read.modified,
    time: read.time,
    versions: versions ?? new Map(),
  }
}
