// Gunzips a tarball into a reused output buffer, piece by piece, so that no tar is ever held whole in
// fresh memory. zlib's public sync API (gunzipSync) allocates a new Buffer for each output chunk and
// concatenates them; on a machine where touching fresh memory is slow, that costs as much as the
// inflating. Node's own zlib handle, which gunzipSync drives internally, writes into any buffer it is
// given. That handle is NOT public API, so everything that touches it lives in this file: it is checked
// once per thread on a known input (output, error reporting, reset), and when anything about it differs
// the public path is used instead.

import { constants, createGunzip, type Gunzip, gunzipSync, gzipSync, type ZlibReset } from 'node:zlib'

/** `handle`: Node's internal zlib handle into a reused buffer; `public`: gunzipSync, the tar in one piece. */
export type InflatePath = 'handle' | 'public'

/** Receives `chunk[0, length)`; valid only until it returns (the buffer is reused). May throw. */
export type ChunkSink = (chunk: Buffer, length: number) => void

/** Output buffer size of the handle path; the bench compared 16 KiB to 1 MiB (README, Measurements). */
export const DEFAULT_OUTPUT_SIZE = 64 * 1024

/** The part of Node's zlib handle that gunzipSync itself uses (lib/zlib.js, processChunkSync). */
interface ZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    output: Uint8Array,
    outOffset: number,
    outLength: number,
  ): void
  onerror: (message: string, errno: number, code?: string) => void
}

interface Inflater {
  /** Its `reset()` (ZlibBase's, public on every zlib stream) is missing from @types/node's Gunzip. */
  stream: Gunzip & ZlibReset
  handle: ZlibHandle
  /** [output bytes left, input bytes left] after each writeSync. */
  state: Uint32Array
}

/** Makes a gunzip stream (public API); here only so that tests can hand in a broken one. */
export type GunzipFactory = () => Gunzip

/** The public stream whose handle we drive; its own 64-byte output buffer (the minimum) is never used. */
const newGunzip: GunzipFactory = () => createGunzip({ chunkSize: 64 })

// One inflater and one output buffer per thread, reused for every tarball; taken while in use, so a
// reentrant call (an extraction started from a warning callback) gets its own.
let spare: Inflater | undefined
let sharedOutput: Buffer | undefined
let outputBusy = false
let handleUsable: boolean | undefined

function openInflater(create: GunzipFactory): Inflater | undefined {
  const stream = create()
  const internals = stream as unknown as { _handle?: Partial<ZlibHandle> | null; _writeState?: unknown }
  const handle = internals._handle
  const state = internals._writeState
  if (
    !handle ||
    typeof handle.writeSync !== 'function' ||
    !(state instanceof Uint32Array) ||
    state.length < 2
  ) {
    stream.close()
    return undefined
  }
  if (typeof (stream as Partial<ZlibReset>).reset !== 'function') {
    stream.close()
    return undefined
  }
  return { stream: stream as Gunzip & ZlibReset, handle: handle as ZlibHandle, state }
}

/** Written into the state before each call: an error that skipped `onerror` leaves it there. */
const NOT_WRITTEN = 0xffffffff

/** Inflates all of `gzip` through `inflater`, calling `sink` for every filled piece of `output`. */
function inflateWith(inflater: Inflater, gzip: Uint8Array, output: Buffer, sink: ChunkSink): void {
  let failure: string | undefined
  // Replaces Node's handler, which would destroy the stream and emit 'error' on a later tick.
  inflater.handle.onerror = (message) => {
    failure = message
  }
  let inOffset = 0
  let inLength = gzip.length
  const state = inflater.state
  for (;;) {
    state[0] = NOT_WRITTEN
    state[1] = NOT_WRITTEN
    inflater.handle.writeSync(constants.Z_FINISH, gzip, inOffset, inLength, output, 0, output.length)
    if (failure !== undefined) throw new Error(failure)
    const outLeft = state[0]!
    const inLeft = state[1]!
    // zlib writes both after every successful call: anything else is an error it did not report.
    if (outLeft > output.length || inLeft > inLength) throw new Error('zlib reported no result')
    if (outLeft < output.length) sink(output, output.length - outLeft)
    if (outLeft !== 0) return // all input used, or the stream ended: zlib had room to spare
    inOffset += inLength - inLeft
    inLength = inLeft
  }
}

/**
 * Whether the handle path works on this Node.js: it must exist, inflate a known gzip correctly into
 * a small buffer (several pieces), again after a reset, and report a truncated gzip as an error.
 */
export function checkHandleInflater(create?: GunzipFactory): boolean {
  const factory = create ?? newGunzip
  const expected = Buffer.from('tote checks the zlib handle\n'.repeat(40))
  const gzip = gzipSync(expected)
  const inflateAll = (inflater: Inflater, input: Uint8Array): Buffer => {
    const pieces: Buffer[] = []
    let total = 0
    inflateWith(inflater, input, Buffer.alloc(100), (chunk, length) => {
      total += length
      if (total > expected.length) throw new Error('more output than went in')
      pieces.push(Buffer.from(chunk.subarray(0, length)))
    })
    return Buffer.concat(pieces)
  }
  const good = openInflater(factory)
  const broken = openInflater(factory)
  try {
    if (!good || !broken) return false
    if (!inflateAll(good, gzip).equals(expected)) return false
    good.stream.reset()
    if (!inflateAll(good, gzip).equals(expected)) return false
    good.stream.reset()
    try {
      inflateAll(broken, gzip.subarray(0, gzip.length - 5))
      return false // a truncated gzip that does not fail: errors are not reaching us
    } catch {}
    if (!spare && !create) {
      spare = good // the real thing: keep it for the first tarball
      return true
    }
    good.stream.close()
    return true
  } catch {
    good?.stream.close()
    return false
  } finally {
    broken?.stream.close()
  }
}

/** The path extraction uses by default: the handle when it passed its check on this thread. */
export function defaultInflatePath(): InflatePath {
  handleUsable ??= checkHandleInflater()
  return handleUsable ? 'handle' : 'public'
}

/** gunzipSync's output chunk: one exact chunk for small tars (no concatenation), 256 KiB for big ones. */
function publicChunkSize(gzip: Uint8Array): number {
  const n = gzip.length
  const trailer = (gzip[n - 4]! | (gzip[n - 3]! << 8) | (gzip[n - 2]! << 16) | (gzip[n - 1]! << 24)) >>> 0
  return Math.min(256 * 1024, Math.max(8 * 1024, trailer + 1))
}

export interface InflateOptions {
  path?: InflatePath
  /** Output buffer size of the handle path (tests use tiny ones); default {@link DEFAULT_OUTPUT_SIZE}. */
  outputSize?: number
}

/**
 * Calls `sink` with the tar inside `tarball`, in order, in pieces: gunzipped (into a reused buffer on
 * the handle path) when it starts with the gzip magic, otherwise the bytes themselves in one piece.
 * Throws a plain Error carrying zlib's message when gunzip fails; whatever `sink` throws passes through.
 */
export function inflateTarball(tarball: Uint8Array, sink: ChunkSink, options: InflateOptions = {}): void {
  if (!(tarball.length >= 2 && tarball[0] === 0x1f && tarball[1] === 0x8b)) {
    sink(Buffer.from(tarball.buffer, tarball.byteOffset, tarball.byteLength), tarball.byteLength)
    return
  }
  const path = options.path ?? defaultInflatePath()
  if (path === 'public') {
    const tar = gunzipSync(tarball, { chunkSize: publicChunkSize(tarball) })
    sink(tar, tar.length)
    return
  }
  const inflater = spare ?? openInflater(newGunzip)
  if (!inflater) throw new Error('the zlib handle is not available on this Node.js')
  spare = undefined
  const size = options.outputSize ?? DEFAULT_OUTPUT_SIZE
  const useShared = !outputBusy
  // allocUnsafe: every byte the sink sees was just written by zlib.
  let output: Buffer
  if (useShared) {
    if (sharedOutput?.length !== size) sharedOutput = Buffer.allocUnsafe(size)
    output = sharedOutput
    outputBusy = true
  } else output = Buffer.allocUnsafe(size) // a reentrant call (from a sink): the shared one is in use
  let finished = false
  try {
    inflateWith(inflater, tarball, output, sink)
    finished = true
  } finally {
    if (useShared) outputBusy = false
    if (finished && !spare) {
      inflater.stream.reset()
      spare = inflater
    } else inflater.stream.close() // failed mid-stream: zlib's state is unknown, start afresh next time
  }
}
