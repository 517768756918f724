import { createHash } from 'node:crypto'
import { closeSync, lstatSync, openSync, readSync, type Stats } from 'node:fs'
import { lstat } from 'node:fs/promises'
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

/** The sha256 digest of a file's content, read through `buffer`. */
export function sha256OfFile(path: string, buffer: Buffer): Buffer {
  const hash = createHash('sha256')
  const fd = openSync(path, 'r')
  try {
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) {
      hash.update(buffer.subarray(0, read))
    }
  } finally {
    closeSync(fd)
  }
  return hash.digest()
}

/**
 * The files' digests as index.json records them: the writer's `sha256` where it gave one (the
 * extractor hashes while it writes), else read back from `dir`.
 */
export function packHashes(dir: string, files: PackageFile[]): string {
  const packed = Buffer.allocUnsafe(files.length * HASH_BYTES)
  let buffer: Buffer | undefined
  files.forEach((file, i) => {
    const given = file.sha256 === undefined ? undefined : Buffer.from(file.sha256, 'base64')
    if (given?.length === HASH_BYTES) {
      given.copy(packed, i * HASH_BYTES)
      return
    }
    buffer ??= Buffer.allocUnsafe(1 << 16)
    sha256OfFile(`${dir}/${file.path}`, buffer).copy(packed, i * HASH_BYTES)
  })
  return packed.toString('base64')
}
