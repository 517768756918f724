import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Packument } from '@tote/types'
import { readDocumentLazily } from './_document.js'

/** One file of `<cacheDir>/metadata-v1/`. */
export interface CacheEntry {
  etag?: string
  lastModified?: string
  /** Freshness the registry granted (Cache-Control max-age), in seconds. */
  maxAge?: number
  /** Epoch ms of the response. */
  fetchedAt: number
  url: string
  packument: Packument
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
  const hash = createHash('sha256').update(url).digest('hex').slice(0, 16)
  return join(cacheDir, CACHE_FOLDER, `${readable}-${hash}.json`)
}

/**
 * A cache file's content: the entry without its packument as one JSON line, then the document as
 * the registry sent it, so that reading it back is as lazy as reading the response (_document.ts).
 */
export function cacheFileContent(
  header: Omit<CacheEntry, 'packument'>,
  document: readonly Uint8Array[],
): CacheContent {
  return [`${JSON.stringify(header)}\n`, ...document]
}

/** The cached entry for `url`, or undefined when missing, unreadable, corrupt or for another URL. */
export async function readCacheEntry(
  file: string,
  url: string,
  name: string,
): Promise<CacheEntry | undefined> {
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
    const packument = readDocumentLazily([document], document.length, name)
    return packument === undefined ? undefined : { ...header, packument }
  } catch {
    return undefined
  }
}

/** True while the registry's max-age has not run out. */
export function isFresh(entry: CacheEntry, now = Date.now()): boolean {
  return entry.maxAge !== undefined && now - entry.fetchedAt < entry.maxAge * 1000
}

/**
 * Writes cache files in the background: atomically (temp file + rename, so a reader never sees half
 * a file), a few at a time, serialising each entry only when its turn comes so that the caller's
 * result is not held up. `flush()` waits for everything queued.
 */
/** A cache file's content: text, or pieces written one after the other. */
export type CacheContent = string | Iterable<string | Uint8Array>

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
    const temp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`
    try {
      await writeFile(temp, content())
      await rename(temp, file)
    } catch (error) {
      await rm(temp, { force: true })
      throw error
    }
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
      if (running === 0 && pending.length === 0) return Promise.resolve()
      return new Promise((resolve) => {
        idle.push(resolve)
        pump()
      })
    },
  }
}
