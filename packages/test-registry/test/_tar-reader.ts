// A minimal tar reader for tests: it checks what the writer must get right (checksums, octal
// fields, magic) and applies pax and GNU long-name headers to the entry that follows them.
import { gunzipSync } from 'node:zlib'

export interface ReadEntry {
  /** The effective path (pax `path` or GNU long name when present, else prefix/name). */
  path: string
  /** The raw ustar name field (prefix/name joined), before pax or GNU overrides. */
  headerPath: string
  typeflag: string
  mode: number
  size: number
  mtime: number
  linkTarget: string
  content: Buffer
  /** Pax records that applied to this entry. */
  pax: Record<string, string>
  /** True when a GNU 'L' entry gave the name. */
  gnuLongName: boolean
}

function text(block: Buffer, offset: number, width: number): string {
  const field = block.subarray(offset, offset + width)
  const end = field.indexOf(0)
  return field.subarray(0, end === -1 ? width : end).toString('utf8')
}

function octal(block: Buffer, offset: number, width: number): number {
  const field = text(block, offset, width).trim()
  if (!/^[0-7]+$/.test(field)) throw new Error(`not an octal field at ${offset}: ${JSON.stringify(field)}`)
  return Number.parseInt(field, 8)
}

function parsePax(body: Buffer): Record<string, string> {
  const records: Record<string, string> = {}
  let offset = 0
  while (offset < body.length) {
    const space = body.indexOf(0x20, offset)
    const length = Number(body.subarray(offset, space).toString('ascii'))
    const record = body.subarray(space + 1, offset + length).toString('utf8')
    if (!record.endsWith('\n')) throw new Error(`pax record length ${length} is wrong`)
    const equals = record.indexOf('=')
    records[record.slice(0, equals)] = record.slice(equals + 1, -1)
    offset += length
  }
  return records
}

/** Reads a tar (gunzipping it first when it starts with the gzip magic). */
export function readTar(input: Uint8Array): ReadEntry[] {
  let tar = Buffer.from(input)
  if (tar[0] === 0x1f && tar[1] === 0x8b) tar = gunzipSync(tar)
  if (tar.length % 512 !== 0) throw new Error('tar length is not a multiple of 512')
  const entries: ReadEntry[] = []
  let pending: { pax: Record<string, string>; longName?: string } = { pax: {} }
  let offset = 0
  let sawEnd = false
  while (offset + 512 <= tar.length) {
    const block = tar.subarray(offset, offset + 512)
    if (block.every((byte) => byte === 0)) {
      const next = tar.subarray(offset + 512, offset + 1024)
      if (next.length !== 512 || !next.every((byte) => byte === 0)) throw new Error('one zero block, not two')
      sawEnd = true
      break
    }
    let sum = 0
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!
    if (octal(block, 148, 8) !== sum) throw new Error(`bad checksum at ${offset}`)
    if (text(block, 257, 6) !== 'ustar' || block[262] !== 0 || text(block, 263, 2) !== '00') {
      throw new Error(`bad magic at ${offset}`)
    }
    const size = octal(block, 124, 12)
    const content = tar.subarray(offset + 512, offset + 512 + size)
    offset += 512 + Math.ceil(size / 512) * 512
    const typeflag = text(block, 156, 1) || '0'
    if (typeflag === 'x') {
      pending.pax = { ...pending.pax, ...parsePax(content) }
      continue
    }
    if (typeflag === 'L') {
      pending.longName = content.toString('utf8').replace(/\0+$/, '')
      continue
    }
    const prefix = text(block, 345, 155)
    const name = text(block, 0, 100)
    const headerPath = prefix ? `${prefix}/${name}` : name
    entries.push({
      path: pending.pax.path ?? pending.longName ?? headerPath,
      headerPath,
      typeflag,
      mode: octal(block, 100, 8),
      size,
      mtime: octal(block, 136, 12),
      linkTarget: pending.pax.linkpath ?? text(block, 157, 100),
      content: Buffer.from(content),
      pax: pending.pax,
      gnuLongName: pending.longName !== undefined,
    })
    pending = { pax: {} }
  }
  if (!sawEnd) throw new Error('no end-of-archive blocks')
  return entries
}
