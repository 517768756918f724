// A registry document reduced straight from its bytes. Decoding a whole document into one string
// and parsing it at once allocates two copies of it in fresh memory (slow on the machines measured,
// see the README) and keeps the whole object tree alive until the reduction ends. Here each version
// is decoded and parsed on its own, from a buffer that is reused, and the members that are never
// read (readme, time, maintainers…) are skipped without being decoded.
import { Buffer } from 'node:buffer'
import type { Packument } from '@tote/types'
import { type CompactDocument, compactDocument, type Range } from './_compact.js'
import { lazyVersions } from './_lazy.js'
import { assemblePackument, packageNameOf, readVersion } from './_reduce.js'

// Bodies up to this size are gathered into one buffer per thread, allocated once and reused.
const SCRATCH_LIMIT = 32 * 1024 * 1024
let scratch: Buffer | undefined

/**
 * A body's chunks as one buffer. Several chunks are copied into this thread's scratch buffer: the
 * result is only valid until the next call, so the caller must be done with it before it awaits.
 */
export function gatherBody(chunks: readonly Uint8Array[], size: number): Buffer {
  if (chunks.length === 1) {
    const chunk = chunks[0]!
    return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
  }
  if (size > SCRATCH_LIMIT) return Buffer.concat(chunks, size)
  if (scratch === undefined || scratch.length < size) {
    // Power-of-two sizes: a few growth steps at most, then the buffer stays.
    scratch = Buffer.allocUnsafeSlow(Math.max(1 << 20, 2 ** Math.ceil(Math.log2(size))))
  }
  let offset = 0
  for (const chunk of chunks) {
    scratch.set(chunk, offset)
    offset += chunk.length
  }
  return scratch.subarray(0, size)
}

/**
 * The packument that `reducePackument(JSON.parse(text), requestedName)` gives for a body's chunks,
 * or undefined when they are not the object of members the scanner expects (the caller then parses
 * the whole text, which also reports what is wrong with it). The chunks are gathered in this
 * thread's scratch buffer and cut down to the members tote reads (see _compact.ts); each version
 * of that compact copy is parsed and reduced only when it is first read: a resolver reads two or
 * three versions of a package that has thousands. A version that is not a manifest with a tarball
 * reads as undefined (the eager form leaves it out).
 */
export function readDocumentLazily(
  chunks: readonly Uint8Array[],
  size: number,
  requestedName: string,
): Packument | undefined {
  const index = indexDocument(chunks, size, requestedName)
  return index && packumentFromIndex(index)
}

/**
 * A document's compact bytes with what a scan found in them: the packument's head, and where each
 * version sits. Plain data: a worker makes it and transfers it (the bytes are moved, not copied),
 * and the thread that reads the versions turns it into a packument with `packumentFromIndex`.
 */
export interface DocumentIndex {
  name: string
  distTags: Record<string, string>
  modified: string | undefined
  /** The compact document's bytes (see _compact.ts), which the metadata cache stores too. */
  chunks: readonly Uint8Array[]
  /** `latin1` when the document is ASCII (decoding is then a plain copy), else `utf8`. */
  encoding: 'latin1' | 'utf8'
  /** Version keys, in document order. */
  keys: string[]
  /** `[start, end)` of each version's manifest inside the chunks' bytes, two entries per key. */
  offsets: Int32Array
}

/** Scans a body's chunks (see readDocumentLazily); undefined when they are not a packument's JSON. */
export function indexDocument(
  chunks: readonly Uint8Array[],
  size: number,
  requestedName: string,
): DocumentIndex | undefined {
  const compact = compactDocument(gatherBody(chunks, size))
  return compact && indexCompact(compact, requestedName)
}

/** The index of a document already compacted (see indexDocument). */
export function indexCompact(compact: CompactDocument, requestedName: string): DocumentIndex {
  const head = headOf(compact, requestedName)
  const keys: string[] = []
  const offsets = new Int32Array(compact.versions.size * 2)
  for (const [key, range] of compact.versions) {
    offsets[keys.length * 2] = range.start
    offsets[keys.length * 2 + 1] = range.end
    keys.push(key)
  }
  return {
    name: head.name,
    distTags: head['dist-tags'],
    modified: head.modified,
    chunks: [compact.bytes],
    encoding: compact.encoding,
    keys,
    offsets,
  }
}

/** The packument an index describes, each version parsed and reduced on first access. */
export function packumentFromIndex(index: DocumentIndex): Packument {
  const { name, keys, offsets } = index
  const textOf = rangeReader(index.chunks, index.encoding)
  const versions = lazyVersions(keys, (at) =>
    readVersion(textOf({ start: offsets[at * 2]!, end: offsets[at * 2 + 1]! }), name, keys[at]!),
  )
  const packument: Packument = { name, 'dist-tags': index.distTags, versions }
  if (index.modified !== undefined) packument.modified = index.modified
  return packument
}

/** Decodes `[start, end)` of the bytes that `chunks` hold one after the other. */
function rangeReader(chunks: readonly Uint8Array[], encoding: BufferEncoding): (range: Range) => string {
  const buffers = chunks.map((chunk) =>
    Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
  )
  const starts: number[] = []
  let offset = 0
  for (const buffer of buffers) {
    starts.push(offset)
    offset += buffer.length
  }
  return ({ start, end }) => {
    // The last chunk that starts at or before `start`.
    let low = 0
    let high = starts.length - 1
    while (low < high) {
      const middle = (low + high + 1) >> 1
      if (starts[middle]! <= start) low = middle
      else high = middle - 1
    }
    const first = buffers[low]!
    const from = start - starts[low]!
    if (end - starts[low]! <= first.length) return first.toString(encoding, from, end - starts[low]!)
    // Across chunks: join just this range.
    const pieces: Buffer[] = []
    for (let index = low; index < buffers.length && starts[index]! < end; index++) {
      const buffer = buffers[index]!
      pieces.push(
        buffer.subarray(Math.max(0, start - starts[index]!), Math.min(buffer.length, end - starts[index]!)),
      )
    }
    return Buffer.concat(pieces).toString(encoding)
  }
}

/** The packument's head (name, dist-tags, modified) from a compact document. */
function headOf(compact: CompactDocument, requestedName: string): Packument {
  const { bytes, encoding } = compact
  const parse = ({ start, end }: Range): unknown => JSON.parse(bytes.toString(encoding, start, end))
  const name = packageNameOf(compact.name && parse(compact.name), requestedName)
  return assemblePackument(
    name,
    compact.distTags && parse(compact.distTags),
    {},
    compact.modified && parse(compact.modified),
    compact.time && timeWithModified(bytes, compact.time, parse),
  )
}

/**
 * The `time` object when it can hold a `modified` key, else undefined: it has one member per
 * version, and `modified` is the only one read, so most documents skip parsing it.
 */
function timeWithModified(bytes: Buffer, range: Range, parse: (range: Range) => unknown): unknown {
  const time = bytes.subarray(range.start, range.end)
  // A key spelled with escapes has a backslash.
  return time.includes('"modified"') || time.includes(0x5c) ? parse(range) : undefined
}
