import { gunzipSync } from 'node:zlib'
import type { Packument } from '@tote/types'
import { ToteError } from '@tote/types'
import { type CacheEntry, type CacheListing, isFresh, readCacheEntry } from './_cache.js'
import { type CompactDocument, DocumentCompactor } from './_compact.js'
import {
  type DocumentIndex,
  gatherBody,
  indexCompact,
  indexDocument,
  packumentFromIndex,
} from './_document.js'
import { type HttpContext, headerValue, httpGet } from './_http.js'
import { reducePackument } from './_reduce.js'
import { skipSpace, valueEnd, walkMembers } from './_scan.js'
import type { DocumentScanner } from './_scanner.js'

/** Everything needed to load one packument; plain data so it can be sent to a worker. */
export interface PackumentTask {
  name: string
  url: string
  registry: string
  /** Cache file, when there is a disk cache. */
  cacheFile?: string | undefined
  offline: boolean
  preferOffline: boolean
  preferOnline: boolean
  acceptGzip: boolean
  /**
   * Set for one version's document (`<registry>/<name>/<selector>`, a dist-tag or an exact version),
   * which is read as a packument holding only that version.
   */
  selector?: string | undefined
}

/**
 * How a document's bytes become what the caller keeps: on the calling thread a lazily read
 * packument; in a worker, the scanned document to transfer to the main thread (_pool.ts).
 */
/** What a reader makes of a document: the packument, and the bytes the metadata cache stores for it. */
export interface ReadDocument<T> {
  packument: T
  document: readonly Uint8Array[]
}

export interface DocumentReader<T> {
  /** Undefined when the bytes are not the document the scanner expects (then parsed in one piece). */
  read(chunks: readonly Uint8Array[], size: number, requestedName: string): ReadDocument<T> | undefined
  /** The same for a document another thread scanned. */
  fromIndex(index: DocumentIndex): ReadDocument<T>
  /** The same for a packument parsed in one piece. */
  fromPackument(packument: Packument): T
}

export const lazyPackumentReader: DocumentReader<Packument> = {
  read(chunks, size, requestedName) {
    const index = indexDocument(chunks, size, requestedName)
    return index && lazyPackumentReader.fromIndex(index)
  },
  fromIndex: (index) => ({ packument: packumentFromIndex(index), document: index.chunks }),
  fromPackument: (packument) => packument,
}

export interface PackumentResult<T = Packument> {
  packument: T
  /** Set when the registry sent a new document: the cache entry to write (without its packument). */
  cacheEntry?: Omit<CacheEntry, 'packument'>
  /** The new document's bytes (the chunks it arrived in), for the cache file. */
  document?: readonly Uint8Array[]
}

// Full documents are accepted too: mirrors often ignore the abbreviated type.
const ACCEPT = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*'

/** The registry's `Cache-Control: max-age`, unless it also forbids reuse. */
function maxAgeOf(cacheControl: string | undefined): number | undefined {
  if (cacheControl === undefined || /no-cache|no-store/i.test(cacheControl)) return undefined
  const match = /max-age=(\d+)/i.exec(cacheControl)
  return match ? Number(match[1]) : undefined
}

/** A body as it arrived: its chunks, gathered into one buffer only when it is parsed (see gatherBody). */
interface ReceivedBody {
  chunks: Uint8Array[]
  size: number
  /** The document compacted while it arrived (large packuments); undefined when it could not be. */
  compact?: CompactDocument | undefined
  /**
   * False when the chunks were not kept, because the body was compacted while it arrived: memory
   * that the next chunks reuse instead of fresh pages (~20 µs each on the machines measured).
   */
  kept: boolean
}

/**
 * Packuments from this size (their Content-Length) are compacted while they arrive (see
 * DocumentCompactor); smaller ones take a few milliseconds at most when their last byte is in.
 */
const COMPACT_ON_ARRIVAL_BYTES = 1 << 20

/**
 * Keeps a body's chunks (gunzipping when the registry compressed it). `compactOnArrival`: a
 * packument, whose compaction may start before its last chunk. An encoding it cannot read fails at
 * once: asking again would not change it.
 */
function collectBody(headers: Record<string, string | string[] | undefined>, compactOnArrival: boolean) {
  const chunks: Uint8Array[] = []
  let size = 0
  const encoding = headerValue(headers, 'content-encoding')?.trim().toLowerCase()
  if (encoding !== undefined && encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new ToteError('EHTTP', `Unsupported content-encoding '${encoding}'`, { details: { encoding } })
  }
  const expected = Number(headerValue(headers, 'content-length'))
  let compactor: DocumentCompactor | undefined =
    compactOnArrival &&
    (encoding === undefined || encoding === 'identity') &&
    expected >= COMPACT_ON_ARRIVAL_BYTES
      ? new DocumentCompactor(expected)
      : undefined
  return {
    push(chunk: Uint8Array) {
      size += chunk.length
      if (compactor !== undefined) compactor.push(chunk)
      else chunks.push(chunk)
    },
    finish(): ReceivedBody {
      if (compactor !== undefined) {
        const compact = compactor.finish()
        compactor = undefined
        return { chunks, size, compact, kept: false }
      }
      if (encoding === 'gzip' || encoding === 'x-gzip') {
        const body = gunzipSync(gatherBody(chunks, size))
        return { chunks: [body], size: body.length, kept: true }
      }
      return { chunks, size, kept: true }
    },
  }
}

/**
 * What is said of a document that is not what it should be. A ToteError thrown while reading a
 * body makes the try fail (see BodySink): the document is asked for again, and after the last try
 * the error says how many there were.
 */
const DAMAGED_HINT = 'The registry or a proxy sent a damaged document; try again, or check the registry URL.'

function parseBody<T>(
  received: ReceivedBody,
  task: PackumentTask,
  status: number,
  reader: DocumentReader<T>,
): ReadDocument<T> {
  const { chunks, size } = received
  try {
    // A lazily read packument keeps its compact bytes: its versions are parsed from them when read.
    const read = reader.read(chunks, size, task.name)
    if (read !== undefined) return read
  } catch {
    // Parsed in one piece below, which reports what is wrong with the document.
  }
  const body = Buffer.concat(chunks, size)
  const details = { url: task.url, status, packageName: task.name }
  let doc: unknown
  try {
    doc = JSON.parse(body.toString('utf8'))
  } catch (cause) {
    throw new ToteError(
      'EBADJSON',
      `Invalid JSON in the registry's answer for '${task.name}' from ${task.url}`,
      {
        hint: DAMAGED_HINT,
        cause,
        details,
      },
    )
  }
  const packument = reducePackument(doc, task.name)
  if (packument !== undefined) return { packument: reader.fromPackument(packument), document: [body] }
  throw new ToteError(
    'EBADJSON',
    `The registry's answer for '${task.name}' from ${task.url} is not a package document`,
    { hint: 'Check that the registry URL points at an npm-compatible registry.', details },
  )
}

/**
 * A version document (what `<name>/<selector>` answers) as the packument that holds only it, so
 * that it is reduced, cached and read back exactly as packuments are. A dist-tag selector becomes
 * that packument's only dist-tag.
 */
function versionAsPackument(received: ReceivedBody, task: PackumentTask, status: number): ReceivedBody {
  const body = gatherBody(received.chunks, received.size)
  const version = versionOf(body)
  if (version === undefined) {
    throw new ToteError(
      'EBADJSON',
      `The registry's answer for '${task.name}@${task.selector}' from ${task.url} is not a version document`,
      { hint: DAMAGED_HINT, details: { url: task.url, status, packageName: task.name } },
    )
  }
  const distTags = task.selector === version ? {} : { [task.selector!]: version }
  // The document's own bytes go in as they came, never decoded and written anew: the scan that
  // reads the packument checks the rest (a document can carry a README of many KB).
  const head = Buffer.from(
    `{"name":${JSON.stringify(task.name)},"dist-tags":${JSON.stringify(distTags)},"versions":{${JSON.stringify(version)}:`,
  )
  const bytes = Buffer.concat([head, body, Buffer.from('}}')])
  return { chunks: [bytes], size: bytes.length, kept: true }
}

/** The `version` of a version document (a JSON object), found without parsing the rest of it. */
function versionOf(body: Buffer): string | undefined {
  let version: unknown
  const start = skipSpace(body, 0, body.length)
  const stop = walkMembers(body, start, body.length, (keyStart, keyEnd, valueStart, escaped) => {
    const valueStop = valueEnd(body, valueStart, body.length)
    if (valueStop === -1) return -1
    const key = escaped
      ? JSON.parse(body.toString('utf8', keyStart, keyEnd))
      : body.toString('latin1', keyStart + 1, keyEnd - 1)
    if (key === 'version') {
      try {
        version = JSON.parse(body.toString('utf8', valueStart, valueStop))
      } catch {
        return -1
      }
    }
    return valueStop
  })
  if (stop === -1 || skipSpace(body, stop, body.length) !== body.length) return undefined
  return typeof version === 'string' ? version : undefined
}

export interface LoadOptions<T> {
  reader: DocumentReader<T>
  /** Lists the cache folder once, so that a cold cache costs no failed open per name. */
  listing?: CacheListing | undefined
  signal?: AbortSignal | undefined
  /** Scans large documents on another thread (see _scanner.ts). */
  scanner?: DocumentScanner | undefined
}

/** Bodies from this size go to the scanner thread, when there is one. */
const SCAN_ELSEWHERE_BYTES = 1 << 20

/**
 * Loads one packument: from the disk cache when the mode allows it, otherwise from the registry
 * (conditionally when a cached copy exists), parsed and reduced. Runs on the main thread or in a
 * worker; the caller writes the returned cache entry.
 */
export async function loadPackument<T>(
  context: HttpContext,
  task: PackumentTask,
  { reader, listing, signal, scanner }: LoadOptions<T>,
): Promise<PackumentResult<T>> {
  const cached =
    task.cacheFile === undefined
      ? undefined
      : await readCacheEntry(task.cacheFile, task.url, task.name, reader.read, listing)
  const hit = (): PackumentResult<T> => {
    context.emit({ type: 'cache-hit', name: task.name, url: task.url })
    return { packument: cached!.packument }
  }
  if (task.offline) {
    if (cached) return hit()
    throw new ToteError(
      'EOFFLINE',
      `'${task.name}' is not in the cache and the network is off (offline mode)`,
      {
        hint: 'Run once without --offline to fill the cache, or turn offline mode off.',
        details: { url: task.url, status: 0, tries: 0, packageName: task.name },
      },
    )
  }
  if (cached && (task.preferOffline || (!task.preferOnline && isFresh(cached)))) return hit()

  const headers: Record<string, string> = { accept: ACCEPT }
  if (task.acceptGzip) headers['accept-encoding'] = 'gzip'
  if (cached?.etag !== undefined) headers['if-none-match'] = cached.etag
  if (cached?.lastModified !== undefined) headers['if-modified-since'] = cached.lastModified
  // With a scanner thread, large documents are compacted there instead, after their last chunk.
  const state = { compactOnArrival: task.selector === undefined && scanner === undefined }
  // The document is read as each try's body ends, so that a damaged one is a fault of that try,
  // asked for again (see BodySink).
  const response = await httpGet(context, {
    subject: { url: task.url, packageName: task.name, registry: task.registry },
    headers,
    signal,
    createSink: (headers, status) => documentSink(headers, status, task, reader, scanner, state),
    passStatuses: cached ? [304] : [],
    gated: true,
  })
  if (response.status === 304 && cached) {
    context.emit({ type: 'cache-revalidated', name: task.name, url: task.url })
    return { packument: cached.packument }
  }
  return { ...response.body!, cacheEntry: cacheEntryOf(task, response.headers) }
}

/** Receives one try's document and reads it when it ends; throws EBADJSON when it is damaged. */
function documentSink<T>(
  headers: Record<string, string | string[] | undefined>,
  status: number,
  task: PackumentTask,
  reader: DocumentReader<T>,
  scanner: DocumentScanner | undefined,
  state: { compactOnArrival: boolean },
) {
  const collected = collectBody(headers, state.compactOnArrival)
  return {
    push: collected.push,
    async finish(): Promise<ReadDocument<T>> {
      let body = collected.finish()
      if (task.selector !== undefined) body = versionAsPackument(body, task, status)
      let read: ReadDocument<T> | undefined
      if (body.compact !== undefined) {
        try {
          read = reader.fromIndex(indexCompact(body.compact, task.name))
        } catch {
          // Parsed in one piece below, which reports what is wrong with the document.
        }
      } else if (scanner && body.size >= SCAN_ELSEWHERE_BYTES) {
        const scanned = await scanner.scan(body.chunks, body.size, task.name)
        if (scanned && 'index' in scanned) read = reader.fromIndex(scanned.index)
        // Not a packument's JSON: parsed here, which says what is wrong with it.
        else if (scanned) body = { chunks: scanned.chunks, size: body.size, kept: true }
      }
      if (read !== undefined) return read
      if (!body.kept) {
        // Compacted while it arrived, so its bytes are gone, and not a packument's document (a
        // damaged one, most likely): the next try keeps them whole, to say what is wrong.
        state.compactOnArrival = false
        throw new ToteError(
          'EBADJSON',
          `The registry's answer for '${task.name}' from ${task.url} is not a package document`,
          { hint: DAMAGED_HINT, details: { url: task.url, status, packageName: task.name } },
        )
      }
      return parseBody(body, task, status, reader)
    },
  }
}

/** What the metadata cache records about a response besides its document. */
function cacheEntryOf(
  task: PackumentTask,
  headers: Record<string, string | string[] | undefined>,
): Omit<CacheEntry, 'packument'> {
  const cacheEntry: Omit<CacheEntry, 'packument'> = { fetchedAt: Date.now(), url: task.url }
  const etag = headerValue(headers, 'etag')
  const lastModified = headerValue(headers, 'last-modified')
  const maxAge = maxAgeOf(headerValue(headers, 'cache-control'))
  if (etag !== undefined) cacheEntry.etag = etag
  if (lastModified !== undefined) cacheEntry.lastModified = lastModified
  if (maxAge !== undefined) cacheEntry.maxAge = maxAge
  return cacheEntry
}
