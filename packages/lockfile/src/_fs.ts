import {
  closeSync,
  fsyncSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs'
import { readFile } from 'node:fs/promises'
import type { Lockfile } from '@tote/types'
import { ToteError } from '@tote/types'
import { parseLockfile } from './_parse.js'
import { stringifyLockfile } from './_stringify.js'
import { tempPathFor } from './_temp-files.js'
import type { LockfileWriteFs, WriteLockfileOptions } from './types.js'

// Synchronous calls on purpose: the asynchronous ones wait in libuv's thread pool, where at the
// end of a resolve the metadata cache's writes are queued (17-40 ms before the lockfile was written
// after vite-react-ts's resolve). A lockfile is a few syscalls, written once, at the end.
const nodeFs: LockfileWriteFs = {
  async writeFile(path, data, mode) {
    // "wx": the temp name is fresh, never someone else's file. Flushed before the rename, so a
    // crash right after it cannot leave an empty package-lock.json behind.
    const fd = openSync(path, 'wx', mode)
    try {
      const bytes = Buffer.from(data, 'utf8')
      for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  },
  async rename(from, to) {
    renameSync(from, to)
  },
  async rm(path) {
    rmSync(path, { force: true })
  },
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code
}

/**
 * Reads and parses a lockfile; undefined when the file does not exist.
 *
 * @throws ToteError `ELOCKFILE` when it cannot be read or parsed.
 */
export async function readLockfile(path: string): Promise<Lockfile | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined
    throw new ToteError('ELOCKFILE', `Cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
      hint: 'Check that the file is readable.',
      details: { path },
    })
  }
  return parseLockfile(text, { path })
}

/**
 * Writes the lockfile as {@link stringifyLockfile} lays it out, atomically: the text goes to a
 * temporary file in the same folder, which then replaces `path` in one rename. Readers see the old
 * file or the new one, never a part; on failure the temporary file is removed and the old file is
 * untouched. An existing file's permissions are kept, and a symlinked lockfile stays a symlink.
 *
 * @throws ToteError `ELOCKFILE` when the file cannot be written.
 */
export async function writeLockfile(
  path: string,
  lockfile: Lockfile,
  options: WriteLockfileOptions = {},
): Promise<void> {
  await writeLockfileText(path, stringifyLockfile(lockfile, options), options)
}

/**
 * Writes a lockfile's text, as {@link stringifyLockfile} made it, the way {@link writeLockfile}
 * does: for a caller that already has the text (to compare it with the file's), so that a large
 * lockfile is not laid out twice.
 *
 * @throws ToteError `ELOCKFILE` when the file cannot be written.
 */
export async function writeLockfileText(
  path: string,
  text: string,
  options: Pick<WriteLockfileOptions, 'fs'> = {},
): Promise<void> {
  const fs = options.fs ?? nodeFs
  // Through a symlinked lockfile to the file itself, as a plain write would go.
  let target = path
  try {
    target = realpathSync(path)
  } catch {}
  const temp = tempPathFor(target)
  let mode = 0o666
  let existed = false
  try {
    mode = statSync(target).mode & 0o777
    existed = true
  } catch {}
  try {
    await fs.writeFile(temp, text, mode)
    await fs.rename(temp, target)
  } catch (error) {
    await fs.rm(temp).catch(() => undefined)
    throw new ToteError('ELOCKFILE', `Cannot write ${path}: ${(error as Error).message}`, {
      cause: error,
      hint: `Check that the folder is writable and the disk has space${existed ? '; the old lockfile was left as it was' : ''}.`,
      details: { path },
    })
  }
}
