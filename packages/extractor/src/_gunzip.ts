import { gunzipSync } from 'node:zlib'
import { damaged } from './_tar.js'

/** How to size zlib's output chunks; the bench compares them (see README, Measurements). */
export type GunzipStrategy = 'default' | 'chunk-1m' | 'size-hint'

const MIN_CHUNK = 64 * 1024
const MAX_CHUNK = 64 * 1024 * 1024

function chunkSize(gzip: Uint8Array, strategy: GunzipStrategy): number | undefined {
  if (strategy === 'default') return undefined
  if (strategy === 'chunk-1m') return 1024 * 1024
  // The gzip trailer's last 4 bytes hold the uncompressed size (mod 2^32): one chunk that fits it
  // avoids growing and concatenating chunks. It is only a hint; zlib still checks everything.
  const n = gzip.length
  const size = (gzip[n - 4]! | (gzip[n - 3]! << 8) | (gzip[n - 2]! << 16) | (gzip[n - 1]! << 24)) >>> 0
  return Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, size + 1))
}

/**
 * The tar inside `tarball`: gunzipped when it starts with the gzip magic, otherwise the bytes
 * themselves (npm accepts uncompressed tarballs too). Throws ToteError `ETARBALL` when gunzip fails
 * (truncated or corrupted data, bad CRC).
 */
export function tarBytes(
  tarball: Uint8Array,
  packageId?: string,
  strategy: GunzipStrategy = 'size-hint',
): Buffer {
  if (tarball.length === 0) throw damaged('empty tarball', packageId)
  if (tarball.length >= 2 && tarball[0] === 0x1f && tarball[1] === 0x8b) {
    try {
      const size = chunkSize(tarball, strategy)
      return gunzipSync(tarball, size === undefined ? {} : { chunkSize: size })
    } catch (error) {
      throw damaged(`gunzip failed (${(error as Error).message})`, packageId, error)
    }
  }
  return Buffer.from(tarball.buffer, tarball.byteOffset, tarball.byteLength)
}
