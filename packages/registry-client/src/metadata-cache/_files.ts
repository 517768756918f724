// The metadata cache's files: `<cacheDir>/metadata-v2/<name>-<hash of url>.json`, one line of JSON
// about the response, then the document's compact bytes (see packument/_compact.ts).
import { hash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { LazyPackument } from '@tote/types'
import { readDocument } from '../packument/_read.js'
import type { CacheContent } from './_writer.js'

/** One file of `<cacheDir>/metadata-v2/`, with its document read as a packument. */
export interface CacheEntry {
  etag?: string
  lastModified?: string
  /** Freshness the registry granted (Cache-Control max-age), in seconds. */
  maxAge?: number
  /** Epoch ms of the response. */
  fetchedAt: number
  url: string
  packument: LazyPackument
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
 * compact form), so that reading it back is as lazy as reading the response.
 */
export function cacheFileContent(header: Omit<CacheEntry, 'packument'>, document: Uint8Array): CacheContent {
  return [`${JSON.stringify(header)}\n`, document]
}

/** The names in a cache folder, as listed the first time it is asked for. */
export type CacheListing = (folder: string) => Promise<Set<string>>

/** One per client: files written later by others are not seen. */
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

/** The cached entry for `url`, or undefined when missing, unreadable, corrupt or for another URL. */
export async function readCacheEntry(
  file: string,
  url: string,
  name: string,
  listing?: CacheListing,
): Promise<CacheEntry | undefined> {
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
    const packument = readDocument([document], document.length, name)?.packument
    return packument === undefined ? undefined : { ...header, packument }
  } catch {
    return undefined
  }
}

/** True while the registry's max-age has not run out. */
export function isFresh(entry: Pick<CacheEntry, 'maxAge' | 'fetchedAt'>, now = Date.now()): boolean {
  return entry.maxAge !== undefined && now - entry.fetchedAt < entry.maxAge * 1000
}
