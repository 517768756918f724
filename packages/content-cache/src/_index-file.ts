import { createHash } from 'node:crypto'
import type { PackageFile } from '@tote/types'

/** Bump when index.json changes shape; older entries then read as missing and are written again. */
export const INDEX_FORMAT = 1

interface IndexBody {
  format: number
  integrity: string
  files: PackageFile[]
}

function checksum(body: IndexBody): string {
  return `sha256-${createHash('sha256').update(JSON.stringify(body)).digest('base64')}`
}

/** index.json's text: the entry's file list and integrity, with a checksum over both. */
export function serializeIndex(
  integrity: string,
  files: PackageFile[],
): { text: string; files: PackageFile[] } {
  const body: IndexBody = {
    format: INDEX_FORMAT,
    integrity,
    files: files.map(({ path, mode, size }) => ({ path, mode, size })),
  }
  return { text: `${JSON.stringify({ ...body, checksum: checksum(body) })}\n`, files: body.files }
}

function isPackageFile(value: unknown): value is PackageFile {
  if (typeof value !== 'object' || value === null) return false
  const { path, mode, size } = value as Record<string, unknown>
  return typeof path === 'string' && typeof mode === 'number' && typeof size === 'number'
}

/** The file list of an index.json text, or undefined when it is damaged or for another integrity. */
export function parseIndex(text: string, integrity: string): PackageFile[] | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const record = parsed as Record<string, unknown>
  if (record.format !== INDEX_FORMAT || record.integrity !== integrity) return undefined
  if (!Array.isArray(record.files) || !record.files.every(isPackageFile)) return undefined
  const body: IndexBody = { format: INDEX_FORMAT, integrity, files: record.files }
  return record.checksum === checksum(body) ? record.files : undefined
}
