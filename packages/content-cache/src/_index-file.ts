import { createHash } from 'node:crypto'
import type { PackageFile } from '@tote/types'
import type { PackageIdentity } from './types.js'

/**
 * Bump when index.json changes shape; older entries then read as missing and are written again.
 * 2: the identity the entry was fetched for, when it was written, and a sha256 per file.
 * 3: a CRC-32 per file instead of the sha256 (docs/decisions/2026-12-07-p3-cpu.md).
 */
export const INDEX_FORMAT = 3
/** Bytes of one file's CRC-32 in `hashes` (big-endian). */
export const HASH_BYTES = 4

interface IndexBody {
  format: number
  integrity: string
  name: string
  version: string
  /** mtime (ms) of a file made right after the package's files: none of them was written later. */
  writtenAt: number
  files: PackageFile[]
  /** The files' CRC-32s, 4 bytes each (big-endian) in `files` order, as one base64 string. */
  hashes: string
}

/** What a whole index.json of this format records. */
export interface IndexRecord {
  identity: PackageIdentity
  writtenAt: number
  files: PackageFile[]
  hashes: string
}

function checksum(body: IndexBody): string {
  return `sha256-${createHash('sha256').update(JSON.stringify(body)).digest('base64')}`
}

/** The length of the base64 text of `files` checksums. */
function hashesLength(files: number): number {
  return Math.ceil((files * HASH_BYTES) / 3) * 4
}

/** index.json's text: the entry's identity, file list and file checksums, with a checksum over all of it. */
export function serializeIndex(options: {
  integrity: string
  identity: PackageIdentity
  writtenAt: number
  files: PackageFile[]
  hashes: string
}): { text: string; files: PackageFile[] } {
  const body: IndexBody = {
    format: INDEX_FORMAT,
    integrity: options.integrity,
    name: options.identity.name,
    version: options.identity.version,
    writtenAt: options.writtenAt,
    files: options.files.map(({ path, mode, size }) => ({ path, mode, size })),
    hashes: options.hashes,
  }
  return { text: `${JSON.stringify({ ...body, checksum: checksum(body) })}\n`, files: body.files }
}

function isPackageFile(value: unknown): value is PackageFile {
  if (typeof value !== 'object' || value === null) return false
  const { path, mode, size } = value as Record<string, unknown>
  return typeof path === 'string' && typeof mode === 'number' && typeof size === 'number'
}

/**
 * Reads an index.json text: its record, `outdated` when another format wrote it (a whole index of
 * an older or newer tote), or `damaged` (unparsable, cut short, edited, for another integrity).
 */
export function parseIndex(text: string, integrity: string): IndexRecord | 'outdated' | 'damaged' {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return 'damaged'
  }
  if (typeof parsed !== 'object' || parsed === null) return 'damaged'
  const record = parsed as Record<string, unknown>
  if (typeof record.format === 'number' && record.format !== INDEX_FORMAT) return 'outdated'
  const { name, version, writtenAt, files, hashes } = record
  if (
    record.format !== INDEX_FORMAT ||
    record.integrity !== integrity ||
    typeof name !== 'string' ||
    typeof version !== 'string' ||
    typeof writtenAt !== 'number' ||
    !Array.isArray(files) ||
    !files.every(isPackageFile) ||
    typeof hashes !== 'string' ||
    hashes.length !== hashesLength(files.length)
  ) {
    return 'damaged'
  }
  if (typeof record.checksum !== 'string' || record.checksum !== checksumOfText(text, record.checksum)) {
    return 'damaged'
  }
  return { identity: { name, version }, writtenAt, files, hashes }
}

/**
 * The checksum of the body as serializeIndex wrote it, from the text itself: the writer's text is
 * `JSON.stringify({ ...body, checksum })`, so the body's own JSON is the text before `,"checksum":`
 * plus `}`. Hashing those bytes checks what the writer hashed without serialising the parsed record
 * again (a third of a lookup's parsing). Undefined unless the checksum is the text's last field, so
 * that no field after it can override what was hashed.
 */
function checksumOfText(text: string, checksum: string): string | undefined {
  const tail = `,"checksum":${JSON.stringify(checksum)}}`
  const end = text.endsWith('\n') ? text.length - 1 : text.length
  if (text.lastIndexOf(tail, end) !== end - tail.length) return undefined
  const bodyText = `${text.slice(0, end - tail.length)}}`
  return `sha256-${createHash('sha256').update(bodyText).digest('base64')}`
}
