// An incremental tar reader: it takes the tar in pieces of any size (as gunzip produces them) and
// hands each entry's data on as it arrives, so the tar is never held whole. nanotar (the library we
// meant to use) ignores the ustar prefix field, breaks pax values that hold a space or '=', takes a
// GNU long *link* name for the entry's name, rewrites `..` instead of reporting it, and checks no
// header checksum; see the README for the full list. This reader handles exactly what npm tarballs use.

import { ToteError } from '@tote/types'

const BLOCK = 512

/** One entry of a tar, after pax headers, GNU long names and the ustar prefix were applied. */
export interface TarEntry {
  /** The name as the archive gives it: not yet checked or stripped. */
  name: string
  /** The typeflag character; `'\0'` is reported as `'0'`, and a V7 name ending in `/` as `'5'`. */
  type: string
  mode: number
  size: number
  /** Where the entry's data starts in the tar. */
  offset: number
  linkName: string
}

/** What the reader calls, in tar order. */
export interface TarHandler {
  /** A new entry; returns whether it wants the entry's data (`data` calls, then `entryEnd`). */
  entry(entry: TarEntry): boolean
  /** The next piece of the entry's data: `chunk[start, end)`, valid only until this returns. */
  data(chunk: Buffer, start: number, end: number): void
  entryEnd(): void
}

export function damaged(reason: string, packageId: string | undefined, cause?: unknown): ToteError {
  return new ToteError('ETARBALL', `${packageId ?? 'tarball'}: ${reason}`, {
    hint: 'The download was damaged; it will be fetched again.',
    cause,
    details: packageId === undefined ? {} : { package: packageId },
  })
}

/** A string field: its bytes up to the first NUL, as UTF-8. */
function text(tar: Buffer, start: number, length: number): string {
  let end = start
  while (end < start + length && tar[end] !== 0) end++
  return tar.toString('utf8', start, end)
}

/** A numeric field: octal digits (spaces/NULs around them), or GNU base-256 when the high bit is set. */
function number(tar: Buffer, start: number, length: number): number {
  if (tar[start]! & 0x80) {
    if (tar[start] !== 0x80) return Number.NaN // negative base-256: never valid for a size or mode
    let value = 0
    for (let i = start + 1; i < start + length; i++) value = value * 256 + tar[i]!
    return Number.isSafeInteger(value) ? value : Number.NaN
  }
  let i = start
  const end = start + length
  while (i < end && (tar[i] === 0x20 || tar[i] === 0)) i++
  let value = 0
  let digits = 0
  for (; i < end; i++) {
    const byte = tar[i]!
    if (byte === 0x20 || byte === 0) break
    if (byte < 0x30 || byte > 0x37) return Number.NaN
    value = value * 8 + (byte - 0x30)
    digits++
  }
  return digits === 0 ? 0 : value
}

function isZero(tar: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (tar[i] !== 0) return false
  return true
}

/** The header checksum: the byte sum with the checksum field read as spaces (unsigned, or signed as some old tars wrote it). */
function checksumMatches(tar: Buffer, start: number): boolean {
  const expected = number(tar, start + 148, 8)
  let unsigned = 8 * 0x20
  // Bytes over 127, each of which a signed sum counts 256 lower.
  let high = 0
  for (let i = start; i < start + 148; i++) {
    const byte = tar[i]!
    unsigned += byte
    high += byte >> 7
  }
  for (let i = start + 156; i < start + BLOCK; i++) {
    const byte = tar[i]!
    unsigned += byte
    high += byte >> 7
  }
  return expected === unsigned || expected === unsigned - 256 * high
}

/** Records of a pax extended header: `<length> <key>=<value>\n`, the length counting the whole record. */
function paxRecords(tar: Buffer, start: number, size: number, into: Map<string, string>): void {
  const end = start + size
  let at = start
  while (at < end) {
    const space = tar.indexOf(0x20, at)
    if (space === -1 || space >= end) return
    const length = Number(tar.toString('latin1', at, space))
    if (!Number.isSafeInteger(length) || length <= space - at || at + length > end) return
    const record = tar.toString('utf8', space + 1, at + length - 1) // without the trailing newline
    const equals = record.indexOf('=')
    if (equals > 0) into.set(record.slice(0, equals), record.slice(equals + 1))
    at += length
  }
}

const padding = (size: number): number => (BLOCK - (size % BLOCK)) % BLOCK

// What the reader expects next.
const HEADER = 0
const DATA = 1 // an entry's data, handed on
const META = 2 // a pax header's or GNU long name's data, collected
const PADDING = 3
const END = 4 // after the end-of-archive block: the rest is ignored

/**
 * Reads a tar fed in pieces (`write`, then `end`). Throws ToteError `ETARBALL` for a bad header
 * checksum or number, and from `end` when the tar stops inside an entry, its padding or a header.
 * Global pax headers (`g`) are skipped: their keys would apply to every later entry, and none of
 * them is one we use.
 */
export class TarReader {
  readonly #handler: TarHandler
  readonly #packageId: string | undefined
  #state = HEADER
  /** Tar bytes consumed before the current `write` piece. */
  #position = 0
  /** A header split between pieces is gathered here. */
  readonly #header = Buffer.allocUnsafe(BLOCK)
  #headerFill = 0
  /** Bytes still to come of the current data (DATA, META) or padding (PADDING). */
  #left = 0
  #padding = 0
  #wantsData = false
  #metaType = ''
  #meta: Buffer = Buffer.allocUnsafe(0)
  #metaFill = 0
  readonly #pax = new Map<string, string>()
  #longName: string | undefined
  #longLinkName: string | undefined

  constructor(handler: TarHandler, packageId?: string) {
    this.#handler = handler
    this.#packageId = packageId
  }

  write(chunk: Buffer, start: number, end: number): void {
    const base = this.#position - start // tar position of chunk[0]
    this.#position += end - start
    let at = start
    while (at < end) {
      if (this.#state === HEADER) {
        if (this.#headerFill === 0 && end - at >= BLOCK) {
          this.#readHeader(chunk, at, base + at)
          at += BLOCK
          continue
        }
        const n = Math.min(BLOCK - this.#headerFill, end - at)
        chunk.copy(this.#header, this.#headerFill, at, at + n)
        this.#headerFill += n
        at += n
        if (this.#headerFill === BLOCK) {
          this.#headerFill = 0
          this.#readHeader(this.#header, 0, base + at - BLOCK)
        }
      } else if (this.#state === DATA) {
        const n = Math.min(this.#left, end - at)
        if (this.#wantsData) this.#handler.data(chunk, at, at + n)
        at += n
        this.#left -= n
        if (this.#left === 0) this.#endData()
      } else if (this.#state === META) {
        const n = Math.min(this.#left, end - at)
        this.#growMeta(this.#metaFill + n)
        chunk.copy(this.#meta, this.#metaFill, at, at + n)
        this.#metaFill += n
        at += n
        this.#left -= n
        if (this.#left === 0) this.#endMeta()
      } else if (this.#state === PADDING) {
        const n = Math.min(this.#left, end - at)
        at += n
        this.#left -= n
        if (this.#left === 0) this.#state = HEADER
      } else return // END
    }
  }

  /** The tar is complete: throws when it stopped inside an entry, its padding, or a header. */
  end(): void {
    if (this.#state === END) return
    if (this.#state === HEADER && isZero(this.#header, 0, this.#headerFill)) return // some writers omit the end blocks
    throw damaged('truncated tar', this.#packageId)
  }

  #readHeader(tar: Buffer, at: number, position: number): void {
    if (tar[at] === 0 && isZero(tar, at, at + BLOCK)) {
      this.#state = END // end-of-archive marker
      return
    }
    if (!checksumMatches(tar, at))
      throw damaged(`bad tar header checksum at byte ${position}`, this.#packageId)
    let size = number(tar, at + 124, 12)
    const mode = number(tar, at + 100, 8)
    if (Number.isNaN(size) || Number.isNaN(mode)) {
      throw damaged(`bad tar header at byte ${position}`, this.#packageId)
    }
    const rawType = String.fromCharCode(tar[at + 156]!)
    if (rawType === 'x' || rawType === 'g' || rawType === 'L' || rawType === 'K') {
      this.#metaType = rawType
      this.#metaFill = 0
      this.#left = size
      this.#padding = padding(size)
      this.#state = META
      if (size === 0) this.#endMeta()
      return
    }
    let name = text(tar, at, 100)
    // Only POSIX ustar has the prefix field; in GNU headers those bytes hold times.
    if (tar.toString('latin1', at + 257, at + 263) === 'ustar\0' && tar[at + 345] !== 0) {
      name = `${text(tar, at + 345, 155)}/${name}`
    }
    const pax = this.#pax
    name = pax.get('path') ?? this.#longName ?? name
    const linkName = pax.get('linkpath') ?? this.#longLinkName ?? text(tar, at + 157, 100)
    const paxSize = pax.get('size')
    if (paxSize !== undefined && /^\d+$/.test(paxSize)) size = Number(paxSize)
    let type = rawType === '\0' ? '0' : rawType
    if ((type === '0' || type === '7') && name.endsWith('/')) type = '5'
    pax.clear()
    this.#longName = undefined
    this.#longLinkName = undefined
    this.#left = size
    this.#padding = padding(size)
    this.#state = DATA
    this.#wantsData = this.#handler.entry({ name, type, mode, size, offset: position + BLOCK, linkName })
    if (size === 0) this.#endData()
  }

  #endData(): void {
    if (this.#wantsData) this.#handler.entryEnd()
    this.#wantsData = false
    this.#afterData()
  }

  #endMeta(): void {
    const size = this.#metaFill
    if (this.#metaType === 'x') paxRecords(this.#meta, 0, size, this.#pax)
    else if (this.#metaType === 'L') this.#longName = text(this.#meta, 0, size)
    else if (this.#metaType === 'K') this.#longLinkName = text(this.#meta, 0, size)
    if (this.#meta.length > 64 * 1024) this.#meta = Buffer.allocUnsafe(0) // keep no big one around
    this.#afterData()
  }

  #afterData(): void {
    this.#left = this.#padding
    this.#state = this.#left > 0 ? PADDING : HEADER
  }

  /** Grows the meta buffer as its data arrives (never to a size a header merely claims). */
  #growMeta(needed: number): void {
    if (needed <= this.#meta.length) return
    const total = this.#metaFill + this.#left // the size the header claims
    const grown = Buffer.allocUnsafe(Math.max(needed, Math.min(total, Math.max(this.#meta.length * 2, 1024))))
    this.#meta.copy(grown, 0, 0, this.#metaFill)
    this.#meta = grown
  }
}

/** Lists the entries of a whole in-memory tar (tests and the bench; extraction streams instead). */
export function readTar(tar: Buffer, packageId?: string): TarEntry[] {
  const entries: TarEntry[] = []
  const reader = new TarReader(
    {
      entry: (entry) => {
        entries.push(entry)
        return false
      },
      data: () => {},
      entryEnd: () => {},
    },
    packageId,
  )
  reader.write(tar, 0, tar.length)
  reader.end()
  return entries
}
