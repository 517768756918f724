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
import { skipSpace, stringEnd, valueEnd, walkMembers } from './_json-scan.js'

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

/**
 * Buffers for windows and outputs, reused: a fresh page costs ~20 µs on the machines measured
 * (see the README), and a large document touches thousands. Taken by size and given back when a
 * compaction ends; a few of the largest are kept.
 */
const spare: Buffer[] = []
const SPARE_KEPT = 4

function takeBuffer(size: number): Buffer {
  let best = -1
  for (let index = 0; index < spare.length; index++) {
    const length = spare[index]!.length
    if (length >= size && (best === -1 || length < spare[best]!.length)) best = index
  }
  if (best !== -1) return spare.splice(best, 1)[0]!
  // Power-of-two sizes: a few growth steps at most, then the buffers are reused.
  return Buffer.allocUnsafeSlow(Math.max(1 << 16, 2 ** Math.ceil(Math.log2(size))))
}

function giveBuffer(buffer: Buffer): void {
  if (buffer.length === 0) return
  spare.push(buffer)
  if (spare.length > SPARE_KEPT) {
    spare.sort((a, b) => b.length - a.length)
    spare.length = SPARE_KEPT
  }
}

enum State {
  /** Before the document's opening brace. */
  Start,
  /** At the first top-level member, or the closing brace of an empty document. */
  FirstMember,
  /** At a top-level member (after a comma). */
  Member,
  /** At a version inside `versions` (or its closing brace). */
  Version,
  /** After `versions`' closing brace: a comma or the document's closing brace. */
  AfterVersions,
  Done,
  Failed,
}

/**
 * Compacts one document while its bytes arrive (see compactDocument for what is kept). Each
 * top-level member and each version is compacted once its bytes and the separator after it are
 * all here. The bytes not compacted yet (the start of the next unit) wait in a small window with
 * the next chunk; a unit that is still not whole is tried again when the window has doubled, so
 * nothing is scanned more than about twice. A large document is then ready when its last chunk
 * is, instead of holding the thread for tens of milliseconds after it (typescript's 10 MB:
 * 40–90 ms) while the answers that the resolve waits on queue behind it.
 */
export class DocumentCompactor {
  /** Received bytes not compacted yet, from `#done` to `#length`. */
  #window: Buffer
  #length = 0
  #done = 0
  /** Window length from which to try again a unit that was not whole. */
  #retryAt = 0
  #state = State.Start
  #out: Buffer
  #at = 0
  #firstMember = true
  #firstVersion = true
  #versions: Map<string, Range> | undefined
  readonly #read: Record<TopLevelKey, Range | undefined> = {
    name: undefined,
    'dist-tags': undefined,
    modified: undefined,
    time: undefined,
  }
  /** Whether `#window` was taken from the spare buffers (and goes back to them). */
  #ownsWindow: boolean

  /**
   * `expectedSize`: the body's Content-Length, if known. With `whole`, the document is all there
   * already: it is read where it is, not copied.
   */
  constructor(expectedSize: number, whole?: Buffer) {
    if (whole === undefined) {
      this.#window = takeBuffer(1 << 16)
      this.#ownsWindow = true
    } else {
      this.#window = whole
      this.#length = whole.length
      this.#ownsWindow = false
    }
    // Streamed: a quarter of the document, as most compact to, grown when one does not.
    this.#out = takeBuffer(whole === undefined ? (expectedSize >>> 2) + 64 : whole.length + 64)
  }

  /** Takes the next chunk (never one of a `whole` document). */
  push(chunk: Uint8Array): void {
    if (this.#state === State.Failed || this.#state === State.Done) {
      // After the end, only whitespace may follow; finish checks what is left.
      if (this.#state === State.Done) this.#append(chunk)
      return
    }
    this.#append(chunk)
    if (this.#length < this.#retryAt) return
    this.#advance(false)
    // The window keeps only what is not compacted yet.
    if (this.#done > 0) {
      this.#window.copyWithin(0, this.#done, this.#length)
      this.#length -= this.#done
      this.#retryAt = this.#retryAt > 0 ? 2 * this.#length : 0
      this.#done = 0
    }
  }

  /**
   * The compact document, once every chunk is in; undefined when the bytes are not an object of
   * members. Gives the buffers back: call it once.
   */
  finish(): CompactDocument | undefined {
    if (this.#state !== State.Failed) this.#advance(true)
    let result: CompactDocument | undefined
    if (this.#state === State.Done && skipSpace(this.#window, this.#done, this.#length) === this.#length) {
      const compact = Buffer.allocUnsafeSlow(this.#at)
      this.#out.copy(compact, 0, 0, this.#at)
      result = {
        bytes: compact,
        // Asked of the kept bytes only: a quarter of the document or less.
        encoding: isAscii(compact) ? 'latin1' : 'utf8',
        name: this.#read.name,
        distTags: this.#read['dist-tags'],
        modified: this.#read.modified,
        time: this.#read.time,
        versions: this.#versions ?? new Map(),
      }
    }
    if (this.#ownsWindow) giveBuffer(this.#window)
    giveBuffer(this.#out)
    this.#window = EMPTY
    this.#out = EMPTY
    this.#ownsWindow = false
    return result
  }

  #append(chunk: Uint8Array): void {
    const needed = this.#length + chunk.length
    if (needed > this.#window.length) {
      const grown = takeBuffer(needed)
      this.#window.copy(grown, 0, 0, this.#length)
      if (this.#ownsWindow) giveBuffer(this.#window)
      this.#window = grown
      this.#ownsWindow = true
    }
    this.#window.set(chunk, this.#length)
    this.#length = needed
  }

  /** Makes room in the output for `bytes` more. */
  #reserve(bytes: number): void {
    if (this.#at + bytes <= this.#out.length) return
    const grown = takeBuffer(Math.max(this.#at + bytes, this.#out.length * 2))
    this.#out.copy(grown, 0, 0, this.#at)
    giveBuffer(this.#out)
    this.#out = grown
  }

  /**
   * Compacts every whole unit (a top-level member, a version) received. `final`: no more bytes
   * will come, so a unit that does not end is an error, not a wait.
   */
  #advance(final: boolean): void {
    // A view that ends where the bytes received do: reading past it gives undefined, never the
    // stale bytes of a reused buffer.
    const bytes = this.#window.subarray(0, this.#length)
    const end = bytes.length
    // No unit compacts larger than its bytes (64 spare for the braces written ahead).
    this.#reserve(end - this.#done + 64)
    for (;;) {
      const unitStart = this.#done
      const outStart = this.#at
      const firstMember = this.#firstMember
      const next = this.#step(bytes, end)
      if (next === Step.Progress) continue
      if (next === Step.Stop) {
        this.#retryAt = 0
        return
      }
      // Step.Incomplete: undo what the unit wrote, and wait for as many bytes again.
      this.#at = outStart
      this.#done = unitStart
      this.#firstMember = firstMember
      if (final) this.#state = State.Failed
      else this.#retryAt = end + Math.max(end - unitStart, 1)
      return
    }
  }

  /** One unit: compacts it and moves on, or says that it is not all here. */
  #step(bytes: Buffer, end: number): Step {
    const state = this.#state
    if (state === State.Done || state === State.Failed) return Step.Stop
    const index = skipSpace(bytes, this.#done, end)
    if (index >= end) return Step.Incomplete
    if (state === State.Start) {
      if (bytes[index] !== OPEN_OBJECT) return this.#failed()
      this.#put(OPEN_OBJECT)
      this.#done = index + 1
      this.#state = State.FirstMember
      return Step.Progress
    }
    if (state === State.FirstMember && bytes[index] === CLOSE_OBJECT) {
      this.#put(CLOSE_OBJECT)
      this.#done = index + 1
      this.#state = State.Done
      return Step.Progress
    }
    if (state === State.AfterVersions) return this.#separator(bytes, index, end, State.Member)
    if (state === State.Version && this.#firstVersion && bytes[index] === CLOSE_OBJECT) {
      this.#put(CLOSE_OBJECT)
      this.#done = index + 1
      this.#state = State.AfterVersions
      return Step.Progress
    }
    // A member: its key, then its value.
    if (bytes[index] !== QUOTE) return this.#failed()
    const keyEnd = stringEnd(bytes, index, end)
    if (keyEnd === -1) return Step.Incomplete
    const escaped = hasEscape(bytes, index, keyEnd)
    const colon = skipSpace(bytes, keyEnd, end)
    if (colon >= end) return Step.Incomplete
    if (bytes[colon] !== COLON) return this.#failed()
    const valueStart = skipSpace(bytes, colon + 1, end)
    if (valueStart >= end) return Step.Incomplete
    const member: MemberAt = { keyStart: index, keyEnd, escaped, valueStart }
    return state === State.Version ? this.#version(bytes, end, member) : this.#member(bytes, end, member)
  }

  #member(bytes: Buffer, end: number, { keyStart, keyEnd, escaped, valueStart }: MemberAt): Step {
    const key = TOP_LEVEL_KEYS[topLevelKey(bytes, keyStart, keyEnd, escaped)]
    if (key === 'versions' && bytes[valueStart] === OPEN_OBJECT) {
      // Entered at once: each version is a unit of its own.
      this.#memberKey(bytes, keyStart, keyEnd)
      this.#put(OPEN_OBJECT)
      this.#versions = new Map()
      this.#firstVersion = true
      this.#done = valueStart + 1
      this.#state = State.Version
      return Step.Progress
    }
    let valueStop: number
    let range: Range | undefined
    if (key === undefined || key === 'versions') {
      valueStop = valueEnd(bytes, valueStart, end)
      if (key === 'versions') this.#versions = undefined
    } else {
      this.#memberKey(bytes, keyStart, keyEnd)
      const from = this.#at
      // Of `time` (a member per version), only `modified` is read.
      if (key === 'time' && bytes[valueStart] === OPEN_OBJECT)
        valueStop = this.#filtered(bytes, valueStart, end, timeKey, false)
      else {
        valueStop = valueEnd(bytes, valueStart, end)
        if (valueStop !== -1) this.#copy(bytes, valueStart, valueStop)
      }
      range = { start: from, end: this.#at }
    }
    if (valueStop === -1) return Step.Incomplete
    const separated = this.#separator(bytes, skipSpace(bytes, valueStop, end), end, State.Member)
    // Kept only once the whole member is: an undone one must leave no trace.
    if (separated === Step.Progress && range !== undefined) this.#read[key as TopLevelKey] = range
    return separated
  }

  #version(bytes: Buffer, end: number, { keyStart, keyEnd, escaped, valueStart }: MemberAt): Step {
    if (!this.#firstVersion) this.#put(0x2c)
    this.#copy(bytes, keyStart, keyEnd)
    this.#put(0x3a)
    const from = this.#at
    let valueStop: number
    if (bytes[valueStart] === OPEN_OBJECT)
      valueStop = this.#filtered(bytes, valueStart, end, versionKey, true)
    else {
      valueStop = valueEnd(bytes, valueStart, end)
      if (valueStop !== -1) this.#copy(bytes, valueStart, valueStop)
    }
    if (valueStop === -1) return Step.Incomplete
    const range = { start: from, end: this.#at }
    const after = skipSpace(bytes, valueStop, end)
    if (after >= end) return Step.Incomplete
    const separator = bytes[after]
    if (separator !== COMMA && separator !== CLOSE_OBJECT) return this.#failed()
    this.#versions!.set(keyOf(bytes, keyStart, keyEnd, escaped), range)
    this.#firstVersion = false
    this.#done = after + 1
    if (separator === CLOSE_OBJECT) {
      this.#put(CLOSE_OBJECT)
      this.#state = State.AfterVersions
    }
    return Step.Progress
  }

  /** After a top-level member: a comma (on to `then`) or the document's end. */
  #separator(bytes: Buffer, index: number, end: number, then: State): Step {
    if (index >= end) return Step.Incomplete
    const separator = bytes[index]
    if (separator === COMMA) {
      this.#done = index + 1
      this.#state = then
      return Step.Progress
    }
    if (separator !== CLOSE_OBJECT) return this.#failed()
    this.#put(CLOSE_OBJECT)
    this.#done = index + 1
    this.#state = State.Done
    return Step.Progress
  }

  #failed(): Step {
    this.#state = State.Failed
    return Step.Stop
  }

  #memberKey(bytes: Buffer, keyStart: number, keyEnd: number): void {
    if (!this.#firstMember) this.#put(0x2c)
    this.#firstMember = false
    this.#copy(bytes, keyStart, keyEnd)
    this.#put(0x3a)
  }

  #put(byte: number): void {
    this.#out[this.#at++] = byte
  }

  #copy(bytes: Buffer, start: number, stop: number): void {
    const out = this.#out
    if (stop - start < 48) {
      let at = this.#at
      for (let index = start; index < stop; index++) out[at++] = bytes[index]!
      this.#at = at
    } else this.#at += bytes.copy(out, this.#at, start, stop)
  }

  /**
   * Copies the object at `start` with only the members `keep` knows; in a version, `dist` and
   * `scripts` are cut further. Returns the index after the object, or -1 when it does not end.
   */
  #filtered(bytes: Buffer, start: number, end: number, keep: KeyMatcher, version: boolean): number {
    this.#put(OPEN_OBJECT)
    let first = true
    const stop = walkMembers(bytes, start, end, (keyStart, keyEnd, valueStart, escaped) => {
      const key = keep(bytes, keyStart, keyEnd, escaped)
      if (key === -1) return valueEnd(bytes, valueStart, end)
      if (!first) this.#put(0x2c)
      first = false
      this.#copy(bytes, keyStart, keyEnd)
      this.#put(0x3a)
      if (version && (key === DIST || key === SCRIPTS) && bytes[valueStart] === OPEN_OBJECT) {
        return this.#filtered(bytes, valueStart, end, key === DIST ? distKey : scriptsKey, false)
      }
      const valueStop = valueEnd(bytes, valueStart, end)
      if (valueStop !== -1) this.#copy(bytes, valueStart, valueStop)
      return valueStop
    })
    this.#put(0x7d)
    return stop
  }
}

enum Step {
  /** A unit was compacted (or a brace passed): go on. */
  Progress,
  /** The unit is not all here yet. */
  Incomplete,
  /** Finished or failed: nothing more to do. */
  Stop,
}

/** Where a member's key (quotes included) and value start; `escaped`: the key has an escape. */
interface MemberAt {
  keyStart: number
  keyEnd: number
  escaped: boolean
  valueStart: number
}

type TopLevelKey = 'name' | 'dist-tags' | 'modified' | 'time'
type KeyMatcher = ReturnType<typeof keyMatcher>

const EMPTY = Buffer.alloc(0)
const QUOTE = 0x22
const BACKSLASH = 0x5c
const CLOSE_OBJECT = 0x7d
const COLON = 0x3a
const COMMA = 0x2c

function hasEscape(bytes: Buffer, start: number, stop: number): boolean {
  for (let index = start + 1; index < stop - 1; index++) if (bytes[index] === BACKSLASH) return true
  return false
}

/** A version's key as a string: latin1 (a plain copy) when it is ASCII, as nearly all are. */
function keyOf(bytes: Buffer, start: number, stop: number, escaped: boolean): string {
  if (escaped) return JSON.parse(bytes.toString('utf8', start, stop)) as string
  for (let index = start + 1; index < stop - 1; index++) {
    if (bytes[index]! > 0x7f) return bytes.toString('utf8', start + 1, stop - 1)
  }
  return bytes.toString('latin1', start + 1, stop - 1)
}

/** Scans `bytes` (one whole document) and returns its compact form; undefined when it is not an object of members. */
export function compactDocument(bytes: Buffer): CompactDocument | undefined {
  return new DocumentCompactor(bytes.length, bytes).finish()
}
