import { hash } from 'node:crypto'
import {
  close,
  closeSync,
  mkdirSync,
  open,
  openSync,
  rename,
  renameSync,
  rm,
  rmSync,
  writev,
  writevSync,
} from 'node:fs'
import { mkdir, readdir, readFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { threadId } from 'node:worker_threads'
import type { Packument, StaleTempFileOptions } from '@tote/types'
import { removeStaleTempFilesIn, removeTempFilesOfSync, tempFileOwnerFrom } from '@tote/types'
import { readDocumentLazily } from './_document.js'

/** One file of `<cacheDir>/metadata-v2/`, with its document read as `T` (a packument by default). */
export interface CacheEntry<T = Packument> {
  etag?: string
  lastModified?: string
  /** Freshness the registry granted (Cache-Control max-age), in seconds. */
  maxAge?: number
  /** Epoch ms of the response. */
  fetchedAt: number
  url: string
  packument: T
}

export const CACHE_FOLDER = 'metadata-v2'

/**
 * `<cacheDir>/metadata-v2/<name>-<hash of url>.json`: readable, safe on case-insensitive file
 * systems (the hash tells `JSONStream` from `jsonstream`, and one registry's copy from another's).
 */
export function cacheFileFor(cacheDir: string, url: string, name: string): string {
  const readable = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '_')
    .slice(0, 100)
  return join(cacheDir, CACHE_FOLDER, `${readable}-${hash('sha256', url, 'hex').slice(0, 16)}.json`)
}

/**
 * A cache file's content: the entry without its packument as one JSON line, then the document (its
 * compact form, see _compact.ts), so that reading it back is as lazy as reading the response.
 */
export function cacheFileContent(
  header: Omit<CacheEntry, 'packument'>,
  document: readonly Uint8Array[],
): CacheContent {
  return [`${JSON.stringify(header)}\n`, ...document]
}

/** The names in a cache folder, as listed the first time it is asked for. */
export type CacheListing = (folder: string) => Promise<Set<string>>

/** One per client (and per worker session): files written later by others are not seen. */
export function createCacheListing(): CacheListing {
  const listings = new Map<string, Promise<Set<string>>>()
  return (folder) => {
    let listing = listings.get(folder)
    if (listing === undefined) {
      listing = readdir(folder).then(
        (names) => new Set(names),
        () => new Set<string>(),
      )
      listings.set(folder, listing)
    }
    return listing
  }
}

/**
 * Writes a cache file at once on the calling thread (temp file + rename). A worker uses it for the
 * chunks it is about to hand over: they are gone from it once transferred.
 */
export function writeCacheFileSync(
  file: string,
  header: Omit<CacheEntry, 'packument'>,
  document: readonly Uint8Array[],
): void {
  try {
    mkdirSync(dirname(file), { recursive: true })
    writeAtomicallySync(file, [`${JSON.stringify(header)}\n`, ...document])
  } catch {
    // A cache that cannot be written is only slower next time.
  }
}

/** The content's pieces as buffers, and their total size. */
function buffersOf(content: CacheContent): { buffers: Uint8Array[]; size: number } {
  const pieces = typeof content === 'string' ? [content] : content
  const buffers: Uint8Array[] = []
  let size = 0
  for (const piece of pieces) {
    const buffer = typeof piece === 'string' ? Buffer.from(piece) : piece
    buffers.push(buffer)
    size += buffer.length
  }
  return { buffers, size }
}

/** writeAtomically on the calling thread; the folder must exist. */
function writeAtomicallySync(file: string, content: CacheContent): void {
  const { buffers, size } = buffersOf(content)
  const temp = tempFileFor(file)
  try {
    const fd = openSync(temp, 'w')
    try {
      const written = writevSync(fd, buffers)
      // A short write (a full disk) fails the entry: never a half file under the real name.
      if (written < size) throw new Error(`wrote ${written} of ${size} bytes`)
    } finally {
      closeSync(fd)
    }
    renameSync(temp, file)
  } catch (error) {
    rmSync(temp, { force: true })
    throw error
  }
}

function readLazily(chunks: readonly Uint8Array[], size: number, name: string) {
  const packument = readDocumentLazily(chunks, size, name)
  return packument && { packument }
}

/** The cached entry for `url`, or undefined when missing, unreadable, corrupt or for another URL. */
export async function readCacheEntry<T = Packument>(
  file: string,
  url: string,
  name: string,
  read: (
    chunks: readonly Uint8Array[],
    size: number,
    name: string,
  ) => { packument: T } | undefined = readLazily as never,
  listing?: CacheListing,
): Promise<CacheEntry<T> | undefined> {
  // A cold cache answers every name from one listing instead of a failed open per name (~0.1 ms
  // each here); a file another process writes meanwhile is simply not used by this one.
  if (listing && !(await listing(dirname(file))).has(basename(file))) return undefined
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch {
    return undefined
  }
  const newline = bytes.indexOf(0x0a)
  if (newline === -1) return undefined
  try {
    const header = JSON.parse(bytes.toString('utf8', 0, newline)) as Omit<CacheEntry, 'packument'>
    if (header?.url !== url || typeof header.fetchedAt !== 'number') return undefined
    const document = bytes.subarray(newline + 1)
    const packument = read([document], document.length, name)?.packument
    return packument === undefined ? undefined : { ...header, packument }
  } catch {
    return undefined
  }
}

/** True while the registry's max-age has not run out. */
export function isFresh(entry: Pick<CacheEntry, 'maxAge' | 'fetchedAt'>, now = Date.now()): boolean {
  return entry.maxAge !== undefined && now - entry.fetchedAt < entry.maxAge * 1000
}

/** A cache file's content: text, or pieces written one after the other. */
export type CacheContent = string | Iterable<string | Uint8Array>

let temps = 0

/** A temporary name next to `file`, unique to this process and thread: `<file>.<pid>-<thread>-<n>.tmp`. */
export function tempFileFor(file: string, pid = process.pid): string {
  return `${file}.${pid}-${threadId}-${++temps}.tmp`
}

/** The process that wrote a temporary file of tempFileFor, from its name. */
const tempFileOwner = tempFileOwnerFrom(/\.json\.(\d+)-\d+-\d+\.tmp$/)

/**
 * Removes the temporary files that killed processes left in `<cacheDir>/metadata-v2/`: those whose
 * process is gone from this host (once a minute old) and any older than `olderThanMinutes` (60);
 * a live writer's are never touched (the rule is `isStaleTempFile` in @tote/types). Resolves to how
 * many were removed.
 */
export function removeStaleTempFiles(cacheDir: string, options: StaleTempFileOptions = {}): Promise<number> {
  return removeStaleTempFilesIn(join(cacheDir, CACHE_FOLDER), tempFileOwner, options)
}

/**
 * Removes the temporary files of process `pid` (default: this one) in `<cacheDir>/metadata-v2/`,
 * whatever their age, at once: for a process that cleans up before it exits. Returns how many.
 */
export function removeOwnTempFilesSync(cacheDir: string, pid = process.pid): number {
  return removeTempFilesOfSync(join(cacheDir, CACHE_FOLDER), tempFileOwner, pid)
}

/**
 * Writes `content` to `file` through a temporary file and a rename, in one `writev`: a document
 * arrived in a few thousand chunks, and a write per chunk cost the main thread ~17 µs each. The
 * callback API: FileHandle promises cost ~50 µs of this thread per call (ant-design: 2,612 files,
 * four calls each, ~0.5 s in the profile).
 */
function writeAtomically(file: string, content: CacheContent): Promise<void> {
  const { buffers, size } = buffersOf(content)
  const temp = tempFileFor(file)
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => rm(temp, { force: true }, () => reject(error))
    open(temp, 'w', (error, fd) => {
      if (error) return fail(error)
      writev(fd, buffers, (error, written) => {
        // A short write (a full disk) fails the entry: never a half file under the real name.
        const failure = error ?? (written < size ? new Error(`wrote ${written} of ${size} bytes`) : null)
        close(fd, (closeError) => {
          if (failure || closeError) return fail((failure ?? closeError)!)
          rename(temp, file, (error) => (error ? fail(error) : resolve()))
        })
      })
    })
  })
}

/**
 * Writes cache files in the background: atomically (temp file + rename, so a reader never sees half
 * a file), a few at a time, serialising each entry only when its turn comes so that the caller's
 * result is not held up. `flush()` waits for everything queued.
 */
export function createCacheWriter(onError: (error: unknown) => void) {
  const pending: { file: string; content: () => CacheContent }[] = []
  const idle: (() => void)[] = []
  let running = 0
  const folders = new Map<string, Promise<unknown>>()
  const limit = 4

  async function write(file: string, content: () => CacheContent): Promise<void> {
    const folder = dirname(file)
    let ready = folders.get(folder)
    if (ready === undefined) {
      ready = mkdir(folder, { recursive: true })
      folders.set(folder, ready)
    }
    await ready
    await writeAtomically(file, content())
  }

  function pump(): void {
    while (running < limit && pending.length > 0) {
      const job = pending.shift()!
      running++
      write(job.file, job.content)
        .catch(onError)
        .finally(() => {
          running--
          pump()
        })
    }
    if (running === 0 && pending.length === 0) for (const resolve of idle.splice(0)) resolve()
  }

  return {
    /** Queues a write; `content` runs later, off the caller's path. */
    add(file: string, content: string | (() => CacheContent)): void {
      pending.push({ file, content: typeof content === 'string' ? () => content : content })
      setImmediate(pump)
    },
    flush(): Promise<void> {
      // Called at the end, when nothing else needs this thread: what is still queued is written
      // here at once instead of through the thread pool, four round trips per file (vite-react-ts
      // p1 waited ~35 ms for them).
      const made = new Set<string>()
      for (const job of pending.splice(0)) {
        try {
          // Made here even when a queued write is making it: that one may not be done yet.
          const folder = dirname(job.file)
          if (!made.has(folder)) mkdirSync(folder, { recursive: true })
          made.add(folder)
          writeAtomicallySync(job.file, job.content())
        } catch (error) {
          onError(error)
        }
      }
      if (running === 0) return Promise.resolve()
      return new Promise((resolve) => {
        idle.push(resolve)
        pump()
      })
    },
  }
}
