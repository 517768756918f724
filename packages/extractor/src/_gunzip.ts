import { gunzipSync } from 'node:zlib'
import { damaged } from './_tar.js'

/** How to size zlib's output chunks; the bench compares them (README, Measurements). */
export type GunzipStrategy = 'default' | 'chunk-256k' | 'whole-size' | 'size-capped'

const KiB = 1024

/** The gzip trailer's last 4 bytes: the uncompressed size mod 2^32. Only a hint: zlib checks everything. */
function trailerSize(gzip: Uint8Array): number {
  const n = gzip.length
  return (gzip[n - 4]! | (gzip[n - 3]! << 8) | (gzip[n - 2]! << 16) | (gzip[n - 1]! << 24)) >>> 0
}

function chunkSize(gzip: Uint8Array, strategy: GunzipStrategy): number | undefined {
  switch (strategy) {
    case 'default':
      return undefined // zlib's 16 KiB
    case 'chunk-256k':
      return 256 * KiB
    case 'whole-size':
      return Math.min(64 * 1024 * KiB, Math.max(8 * KiB, trailerSize(gzip) + 1))
    case 'size-capped':
      // One exact chunk for the many small tarballs (no concatenation), 256 KiB chunks for big ones:
      // a chunk the size of a big tar costs more in fresh pages than the concatenation saves.
      return Math.min(256 * KiB, Math.max(8 * KiB, trailerSize(gzip) + 1))
  }
}

/**
 * The tar inside `tarball`: gunzipped when it starts with the gzip magic, otherwise the bytes
 * themselves (npm accepts uncompressed tarballs too). Throws ToteError `ETARBALL` when gunzip fails
 * (truncated or corrupted data, bad CRC).
 */
export function tarBytes(
  tarball: Uint8Array,
  packageId?: string,
  strategy: GunzipStrategy = 'size-capped',
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
