import { ToteError } from './_error.js'
import type { IntegrityHash } from './types.js'

/** Hash algorithms by strength, with their digest lengths in bytes. */
const ALGORITHMS: Record<string, { strength: number; bytes: number }> = {
  sha512: { strength: 4, bytes: 64 },
  sha384: { strength: 3, bytes: 48 },
  sha256: { strength: 2, bytes: 32 },
  sha1: { strength: 1, bytes: 20 },
}
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/**
 * The strongest hash of a Subresource Integrity string: what the downloader verifies and what the
 * content cache is keyed by. Picks the strongest hash of an SRI string (`sha512-…`, possibly several separated by whitespace,
 * possibly with `?options`). Unknown algorithms and malformed hashes are skipped; none left throws
 * ToteError `EBADINTEGRITY`.
 */
export function strongestHash(integrity: string): IntegrityHash {
  let best: (IntegrityHash & { strength: number }) | undefined
  for (const token of integrity.trim().split(/\s+/)) {
    const dash = token.indexOf('-')
    const algorithm = token.slice(0, dash).toLowerCase()
    const known = ALGORITHMS[algorithm]
    if (dash <= 0 || known === undefined || (best && best.strength >= known.strength)) continue
    const base64 = token.slice(dash + 1).split('?')[0]!
    const digest = Buffer.from(base64, 'base64')
    if (!BASE64.test(base64) || digest.length !== known.bytes) continue
    best = {
      algorithm,
      base64,
      hex: digest.toString('hex'),
      sri: `${algorithm}-${base64}`,
      strength: known.strength,
    }
  }
  if (best === undefined) {
    throw new ToteError('EBADINTEGRITY', `Not a usable integrity string: "${integrity}"`, {
      hint: 'The lockfile entry is damaged: remove it from package-lock.json and install again.',
      details: { integrity },
    })
  }
  return { algorithm: best.algorithm, base64: best.base64, hex: best.hex, sri: best.sri }
}
