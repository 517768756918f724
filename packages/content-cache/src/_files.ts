import { closeSync, lstatSync, openSync, readSync, type Stats } from 'node:fs'
import { lstat } from 'node:fs/promises'
import { crc32 } from 'node:zlib'
import type { PackageFile } from '@tote/types'
import { HASH_BYTES } from './_index-file.js'

function absent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

/** The file's own stat (a symlink is not followed), or undefined when it is not there. */
export function lstatIfThere(path: string): Stats | undefined {
  try {
    return lstatSync(path)
  } catch (error) {
    if (absent(error)) return undefined
    throw error
  }
}

/** {@link lstatIfThere}, asynchronously. */
export async function lstatIfThereAsync(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path)
  } catch (error) {
    if (absent(error)) return undefined
    throw error
  }
}

/**
 * Why a cached file is no longer as it was written, or undefined when its stat says it is. An edit
 * in place (through a hard link in some node_modules, say) sets a later mtime; a file replaced by
 * another is a new one, written later too; a truncated one has another size.
 */
export function fileProblem(
  file: PackageFile,
  info: Stats | undefined,
  writtenAt: number,
): string | undefined {
  if (info === undefined) return `${file.path} is missing`
  if (!info.isFile()) return `${file.path} is no longer a regular file`
  if (info.size !== file.size) return `${file.path} has ${info.size} bytes, not ${file.size}`
  if (info.mtimeMs > writtenAt) return `${file.path} was modified after it was cached`
  return undefined
}

/** The CRC-32 of a file's content (as `zlib.crc32` computes it), read through `buffer`. */
export function crc32OfFile(path: string, buffer: Buffer): number {
  let crc = 0
  const fd = openSync(path, 'r')
  try {
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) {
      crc = crc32(buffer.subarray(0, read), crc)
    }
  } finally {
    closeSync(fd)
  }
  return crc
}

/** Whether the writer gave a usable CRC-32 for a file. */
function isCrc32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff
}

/**
 * The files' checksums as index.json records them: the writer's `crc32` where it gave one (the
 * extractor takes it while it writes), else read back from `dir`.
 */
export function packHashes(dir: string, files: PackageFile[]): string {
  const packed = Buffer.allocUnsafe(files.length * HASH_BYTES)
  let buffer: Buffer | undefined
  files.forEach((file, i) => {
    if (isCrc32(file.crc32)) {
      packed.writeUInt32BE(file.crc32, i * HASH_BYTES)
      return
    }
    buffer ??= Buffer.allocUnsafe(1 << 16)
    packed.writeUInt32BE(crc32OfFile(`${dir}/${file.path}`, buffer), i * HASH_BYTES)
  })
  return packed.toString('base64')
}
