// A registry document read straight from its bytes. Decoding a whole document into one string and
// parsing it at once allocates two copies of it in fresh memory (slow on the machines measured: see
// docs/decisions) and keeps the whole object tree alive until the reduction ends. Here the document
// is cut down to the members tote reads (_compact.ts), and each version is decoded, parsed and
// reduced on its own when it is first asked for.
import { Buffer } from 'node:buffer'
import type { LazyPackument } from '@tote/types'
import { type CompactDocument, compactDocument, type Range } from './_compact.js'
import { lazyVersions } from './_lazy-versions.js'
import { type PackumentHead, packageNameOf, packumentHead, readVersion } from './_reduce.js'

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

/** A document read: the packument, and the compact bytes it reads its versions from. */
export interface ReadDocument {
  packument: LazyPackument
  /** The compact document (see _compact.ts): what the metadata cache stores. */
  bytes: Buffer
}

/**
 * The packument that `reducePackument(JSON.parse(text), requestedName)` gives for a body's chunks,
 * read lazily, or undefined when they are not the object of members the scanner expects (the
 * caller then finds out what is wrong with them). A version that is not a manifest with a tarball
 * reads as undefined (reducePackument leaves it out).
 */
export function readDocument(
  chunks: readonly Uint8Array[],
  size: number,
  requestedName: string,
): ReadDocument | undefined {
  const compact = compactDocument(gatherBody(chunks, size))
  return compact && readCompact(compact, requestedName)
}

/** The packument of a document already compacted (see readDocument). */
export function readCompact(compact: CompactDocument, requestedName: string): ReadDocument {
  const { bytes, encoding } = compact
  const head = headOf(compact, requestedName)
  // Where each version sits, as numbers in one array: no object per version to keep alive.
  const keys: string[] = []
  const offsets = new Int32Array(compact.versions.size * 2)
  for (const [key, range] of compact.versions) {
    offsets[keys.length * 2] = range.start
    offsets[keys.length * 2 + 1] = range.end
    keys.push(key)
  }
  const versions = lazyVersions(keys, (at) =>
    readVersion(bytes.toString(encoding, offsets[at * 2], offsets[at * 2 + 1]), head.name, keys[at]!),
  )
  return { packument: { ...head, versions }, bytes }
}

/** The packument's head (name, dist-tags, modified) from a compact document. */
function headOf(compact: CompactDocument, requestedName: string): PackumentHead {
  const { bytes, encoding } = compact
  const parse = ({ start, end }: Range): unknown => JSON.parse(bytes.toString(encoding, start, end))
  return packumentHead(
    packageNameOf(compact.name && parse(compact.name), requestedName),
    compact.distTags && parse(compact.distTags),
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
