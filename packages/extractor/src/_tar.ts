// A tar reader for whole in-memory archives. nanotar (the library we meant to use) ignores the
// ustar prefix field, breaks pax values that hold a space or '=', takes a GNU long *link* name for
// the entry's name, rewrites `..` instead of reporting it, and checks no header checksum; see the
// README for the full list. This reader handles exactly what npm tarballs use.

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

export function damaged(reason: string, packageId: string | undefined, cause?: unknown): ToteError {
  return new ToteError('ETARBALL', `${packageId ?? 'tarball'}: ${reason}`, {
    hint: 'The download was damaged; it will be fetched again.',
    cause,
    details: packageId === undefined ? {} : { package: packageId },
  })
}

/** A string field: its bytes up to the first NUL, as UTF-8. */
function text(tar: Buffer, start: number, length: number): string {
  const end = tar.indexOf(0, start)
  return tar.toString('utf8', start, end === -1 || end > start + length ? start + length : end)
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

function isZeroBlock(tar: Buffer, start: number): boolean {
  for (let i = start; i < start + BLOCK; i++) if (tar[i] !== 0) return false
  return true
}

/** The header checksum: the byte sum with the checksum field read as spaces (unsigned, or signed as some old tars wrote it). */
function checksumMatches(tar: Buffer, start: number): boolean {
  const expected = number(tar, start + 148, 8)
  let unsigned = 8 * 0x20
  let signed = 8 * 0x20
  for (let i = start; i < start + BLOCK; i++) {
    if (i === start + 148) i += 8
    const byte = tar[i]!
    unsigned += byte
    signed += byte > 127 ? byte - 256 : byte
  }
  return expected === unsigned || expected === signed
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

/**
 * Lists the entries of an uncompressed tar. Throws ToteError `ETARBALL` for a bad header checksum,
 * a bad number, or data that runs past the end. Global pax headers (`g`) are skipped: their keys
 * would apply to every later entry, and none of them is one we use.
 */
export function readTar(tar: Buffer, packageId?: string): TarEntry[] {
  const entries: TarEntry[] = []
  const pax = new Map<string, string>()
  let longName: string | undefined
  let longLinkName: string | undefined
  let at = 0
  while (at + BLOCK <= tar.length) {
    if (tar[at] === 0 && isZeroBlock(tar, at)) return entries // end-of-archive marker
    if (!checksumMatches(tar, at)) throw damaged(`bad tar header checksum at byte ${at}`, packageId)
    let size = number(tar, at + 124, 12)
    const mode = number(tar, at + 100, 8)
    if (Number.isNaN(size) || Number.isNaN(mode)) throw damaged(`bad tar header at byte ${at}`, packageId)
    const rawType = String.fromCharCode(tar[at + 156]!)
    const dataStart = at + BLOCK
    if (rawType === 'x' || rawType === 'g' || rawType === 'L' || rawType === 'K') {
      if (dataStart + size > tar.length) throw damaged('truncated tar', packageId)
      if (rawType === 'x') paxRecords(tar, dataStart, size, pax)
      else if (rawType === 'L') longName = text(tar, dataStart, size)
      else if (rawType === 'K') longLinkName = text(tar, dataStart, size)
      at = dataStart + Math.ceil(size / BLOCK) * BLOCK
      continue
    }
    let name = text(tar, at, 100)
    // Only POSIX ustar has the prefix field; in GNU headers those bytes hold times.
    if (tar.toString('latin1', at + 257, at + 263) === 'ustar\0' && tar[at + 345] !== 0) {
      name = `${text(tar, at + 345, 155)}/${name}`
    }
    name = pax.get('path') ?? longName ?? name
    const linkName = pax.get('linkpath') ?? longLinkName ?? text(tar, at + 157, 100)
    const paxSize = pax.get('size')
    if (paxSize !== undefined && /^\d+$/.test(paxSize)) size = Number(paxSize)
    let type = rawType === '\0' ? '0' : rawType
    if ((type === '0' || type === '7') && name.endsWith('/')) type = '5'
    if (dataStart + size > tar.length) throw damaged('truncated tar', packageId)
    entries.push({ name, type, mode, size, offset: dataStart, linkName })
    pax.clear()
    longName = undefined
    longLinkName = undefined
    at = dataStart + Math.ceil(size / BLOCK) * BLOCK
  }
  // No end-of-archive marker: fine when the archive stops at an entry boundary (some writers omit it).
  // Cut inside the last entry's padding, or a partial header left: damaged.
  if (at > tar.length || (at < tar.length && !tar.subarray(at).every((byte) => byte === 0))) {
    throw damaged('truncated tar', packageId)
  }
  return entries
}
