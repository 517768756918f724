import { gzipSync } from 'node:zlib'
import type { CreateTarballOptions, TarEntrySpec, TarEntryType } from './types.js'

const BLOCK = 512
/** npm pack writes this mtime (1985-10-26T08:15:00Z) so that tarballs are reproducible. */
export const DEFAULT_MTIME = 499162500

const TYPE_FLAGS: Record<TarEntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  character: '3',
  block: '4',
  directory: '5',
  fifo: '6',
}

const DEFAULT_MODES: Partial<Record<TarEntryType, number>> = { directory: 0o755, symlink: 0o777 }

const encoder = new TextEncoder()

function toBytes(content: string | Uint8Array | undefined): Uint8Array {
  if (content === undefined) return new Uint8Array(0)
  return typeof content === 'string' ? encoder.encode(content) : content
}

/** Writes `value` as zero-padded octal digits followed by a NUL, filling `width` bytes. */
function writeOctal(header: Uint8Array, offset: number, width: number, value: number): void {
  const digits = Math.floor(value).toString(8)
  if (digits.length > width - 1) throw new Error(`tar: ${value} does not fit in a ${width}-byte field`)
  writeString(header, offset, width, digits.padStart(width - 1, '0'))
}

/** Writes the bytes of `value` at `offset`, truncated to `width` (the rest stays NUL). */
function writeString(header: Uint8Array, offset: number, width: number, value: string | Uint8Array): void {
  header.set(toBytes(value).subarray(0, width), offset)
}

interface HeaderFields {
  name: Uint8Array
  prefix?: Uint8Array
  mode: number
  size: number
  mtime: number
  typeflag: string
  linkname?: Uint8Array
}

function header(fields: HeaderFields): Uint8Array {
  const block = new Uint8Array(BLOCK)
  writeString(block, 0, 100, fields.name)
  writeOctal(block, 100, 8, fields.mode & 0o7777)
  writeOctal(block, 108, 8, 0) // uid
  writeOctal(block, 116, 8, 0) // gid
  writeOctal(block, 124, 12, fields.size)
  writeOctal(block, 136, 12, fields.mtime)
  writeString(block, 156, 1, fields.typeflag)
  if (fields.linkname) writeString(block, 157, 100, fields.linkname)
  writeString(block, 257, 6, 'ustar\0')
  writeString(block, 263, 2, '00')
  writeOctal(block, 329, 8, 0) // devmajor
  writeOctal(block, 337, 8, 0) // devminor
  if (fields.prefix) writeString(block, 345, 155, fields.prefix)
  // The checksum is the byte sum with the checksum field itself read as eight spaces.
  block.fill(0x20, 148, 156)
  let sum = 0
  for (const byte of block) sum += byte
  writeString(block, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ')
  return block
}

function padded(body: Uint8Array): Uint8Array[] {
  const rest = body.length % BLOCK
  return rest === 0 ? [body] : [body, new Uint8Array(BLOCK - rest)]
}

/** One `<length> <key>=<value>\n` record; the length counts the whole record, its own digits too. */
export function paxRecord(key: string, value: string): string {
  const tail = ` ${key}=${value}\n`
  const tailLength = encoder.encode(tail).length
  let length = tailLength + 1
  while (String(length).length + tailLength !== length) length = String(length).length + tailLength
  return `${length}${tail}`
}

/** Splits a long path into ustar prefix (≤155 bytes) and name (≤100 bytes) at a slash, if possible. */
function splitPath(path: Uint8Array): { prefix: Uint8Array; name: Uint8Array } | undefined {
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== 0x2f) continue
    if (i <= 155 && path.length - i - 1 <= 100 && path.length - i - 1 > 0) {
      return { prefix: path.subarray(0, i), name: path.subarray(i + 1) }
    }
  }
  return undefined
}

function entryBlocks(entry: TarEntrySpec): Uint8Array[] {
  const type = entry.type ?? 'file'
  const mtime = entry.mtime ?? DEFAULT_MTIME
  const path = encoder.encode(entry.path)
  const content = toBytes(entry.content)
  const blocks: Uint8Array[] = []
  const pax: Record<string, string> = { ...entry.pax }

  let name: Uint8Array = path
  let prefix: Uint8Array | undefined
  if (path.length > 100) {
    const split = splitPath(path)
    if (split) ({ name, prefix } = split)
    else if (entry.pax?.path === undefined && !entry.gnuLongName) pax.path = entry.path
  }
  const linkname = entry.linkTarget === undefined ? undefined : encoder.encode(entry.linkTarget)
  if (linkname && linkname.length > 100 && entry.pax?.linkpath === undefined) {
    pax.linkpath = entry.linkTarget!
  }

  if (Object.keys(pax).length > 0) {
    const body = encoder.encode(
      Object.entries(pax)
        .map(([key, value]) => paxRecord(key, value))
        .join(''),
    )
    const base = entry.path.split('/').filter(Boolean).pop() ?? 'entry'
    const paxName = encoder.encode(`PaxHeader/${base}`).subarray(0, 100)
    blocks.push(header({ name: paxName, mode: 0o644, size: body.length, mtime, typeflag: 'x' }))
    blocks.push(...padded(body))
  }
  if (entry.gnuLongName) {
    const body = new Uint8Array(path.length + 1)
    body.set(path)
    const longLink = encoder.encode('././@LongLink')
    blocks.push(header({ name: longLink, mode: 0o644, size: body.length, mtime, typeflag: 'L' }))
    blocks.push(...padded(body))
  }
  blocks.push(
    header({
      name,
      ...(prefix ? { prefix } : {}),
      mode: entry.mode ?? DEFAULT_MODES[type] ?? 0o644,
      size: content.length,
      mtime,
      typeflag: TYPE_FLAGS[type],
      ...(linkname ? { linkname } : {}),
    }),
  )
  if (content.length > 0) blocks.push(...padded(content))
  return blocks
}

/** Builds a tar (gzip by default) byte for byte from entries, for crafting normal or hostile tarballs. */
export function createTarball(entries: TarEntrySpec[], options: CreateTarballOptions = {}): Uint8Array {
  const blocks = entries.flatMap(entryBlocks)
  blocks.push(new Uint8Array(BLOCK * 2))
  const tar = Buffer.concat(blocks)
  // Copies: a small Buffer may be a view into Node's shared pool, and callers may use `.buffer`.
  return new Uint8Array(options.gzip === false ? tar : gzipSync(tar, { level: 9 }))
}
