// One packument, from the metadata cache or from the registry: one route from a response's bytes to
// a lazily read packument, whatever its size. A body is cut down to the members tote reads
// (_compact.ts) while it arrives (1 MiB or more) or when its last byte is in, and each version is
// read when it is first asked for (_read.ts).
import { gunzipSync } from 'node:zlib'
import type { LazyPackument } from '@tote/types'
import { redactUrl, ToteError } from '@tote/types'
import { type HttpContext, headerValue, httpGet } from '../http/_get.js'
import { type CacheEntry, type CacheListing, isFresh, readCacheEntry } from '../metadata-cache/_files.js'
import { type CompactDocument, DocumentCompactor } from './_compact.js'
import { skipSpace, valueEnd, walkMembers } from './_json-scan.js'
import { gatherBody, type ReadDocument, readCompact, readDocument } from './_read.js'

/** Everything needed to load one packument. */
export interface PackumentTask {
  name: string
  url: string
  registry: string
  /** Cache file, when there is a disk cache. */
  cacheFile?: string | undefined
  offline: boolean
  preferOffline: boolean
  preferOnline: boolean
  /**
   * Set for one version's document (`<registry>/<name>/<selector>`, a dist-tag or an exact version),
   * which is read as a packument holding only that version.
   */
  selector?: string | undefined
}

export interface PackumentResult {
  packument: LazyPackument
  /** Set when the registry sent a new document: the cache entry to write (without its packument). */
  cacheEntry?: Omit<CacheEntry, 'packument'>
  /** The new document's compact bytes, for the cache file. */
  document?: Buffer
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

/**
 * The EBADJSON for a body the scan could not read: JSON.parse says what is wrong with its JSON, and
 * JSON that parses is not a package document (an array, a string…).
 */
function damagedDocumentError(received: ReceivedBody, task: PackumentTask, status: number): ToteError {
  const url = redactUrl(task.url)
  const details = { url, status, packageName: task.name }
  try {
    JSON.parse(gatherBody(received.chunks, received.size).toString('utf8'))
  } catch (cause) {
    return new ToteError('EBADJSON', `Invalid JSON in the registry's answer for '${task.name}' from ${url}`, {
      hint: DAMAGED_HINT,
      cause,
      details,
    })
  }
  return new ToteError(
    'EBADJSON',
    `The registry's answer for '${task.name}' from ${url} is not a package document`,
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
      `The registry's answer for '${task.name}@${task.selector}' from ${redactUrl(task.url)} is not a version document`,
      { hint: DAMAGED_HINT, details: { url: redactUrl(task.url), status, packageName: task.name } },
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

export interface LoadOptions {
  /** Lists the cache folder once, so that a cold cache costs no failed open per name. */
  listing?: CacheListing | undefined
  signal?: AbortSignal | undefined
}

/**
 * Loads one packument: from the disk cache when the mode allows it, otherwise from the registry
 * (conditionally when a cached copy exists). The caller writes the returned cache entry.
 */
export async function loadPackument(
  context: HttpContext,
  task: PackumentTask,
  { listing, signal }: LoadOptions,
): Promise<PackumentResult> {
  const cached =
    task.cacheFile === undefined
      ? undefined
      : await readCacheEntry(task.cacheFile, task.url, task.name, listing)
  const hit = (): PackumentResult => {
    context.emit({ type: 'cache-hit', name: task.name, url: redactUrl(task.url) })
    return { packument: cached!.packument }
  }
  if (task.offline) {
    if (cached) return hit()
    throw new ToteError(
      'EOFFLINE',
      `'${task.name}' is not in the cache and the network is off (offline mode)`,
      {
        hint: 'Run once without --offline to fill the cache, or turn offline mode off.',
        details: { url: redactUrl(task.url), status: 0, tries: 0, packageName: task.name },
      },
    )
  }
  if (cached && (task.preferOffline || (!task.preferOnline && isFresh(cached)))) return hit()

  // gzip saves most of the bytes of a registry that compresses; such a body is compacted whole.
  const headers: Record<string, string> = { accept: ACCEPT, 'accept-encoding': 'gzip' }
  if (cached?.etag !== undefined) headers['if-none-match'] = cached.etag
  if (cached?.lastModified !== undefined) headers['if-modified-since'] = cached.lastModified
  const state = { compactOnArrival: task.selector === undefined }
  // The document is read as each try's body ends, so that a damaged one is a fault of that try,
  // asked for again (see BodySink).
  const response = await httpGet(context, {
    subject: { url: task.url, packageName: task.name, registry: task.registry },
    headers,
    signal,
    createSink: (headers, status) => documentSink(headers, status, task, state),
    passStatuses: cached ? [304] : [],
    gated: true,
  })
  if (response.status === 304 && cached) {
    context.emit({ type: 'cache-revalidated', name: task.name, url: redactUrl(task.url) })
    return { packument: cached.packument }
  }
  const { packument, bytes } = response.body!
  return { packument, document: bytes, cacheEntry: cacheEntryOf(task, response.headers) }
}

/** Receives one try's document and reads it when it ends; throws EBADJSON when it is damaged. */
function documentSink(
  headers: Record<string, string | string[] | undefined>,
  status: number,
  task: PackumentTask,
  state: { compactOnArrival: boolean },
) {
  const collected = collectBody(headers, state.compactOnArrival)
  return {
    push: collected.push,
    finish(): ReadDocument {
      let body = collected.finish()
      if (task.selector !== undefined) body = versionAsPackument(body, task, status)
      let read: ReadDocument | undefined
      try {
        read =
          body.compact === undefined
            ? readDocument(body.chunks, body.size, task.name)
            : readCompact(body.compact, task.name)
      } catch {
        // Not a packument's document: said below.
      }
      if (read !== undefined) return read
      if (!body.kept) {
        // Compacted while it arrived, so its bytes are gone, and not a packument's document (a
        // damaged one, most likely): the next try keeps them whole, to say what is wrong.
        state.compactOnArrival = false
        const url = redactUrl(task.url)
        throw new ToteError(
          'EBADJSON',
          `The registry's answer for '${task.name}' from ${url} is not a package document`,
          { hint: DAMAGED_HINT, details: { url, status, packageName: task.name } },
        )
      }
      throw damagedDocumentError(body, task, status)
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
