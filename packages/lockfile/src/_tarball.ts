import { createHash } from 'node:crypto'
import { gunzipSync } from 'node:zlib'
import { ToteError } from '@tote/types'

// What resolving needs from a tarball that is not a registry version (`file:a.tgz`, a URL): its
// package.json, and those of the packages it bundles (`node_modules/<name>/package.json`). Read
// straight from the gzipped tar, nothing written.

/** The package.json files of a tarball, by path inside the package (`package.json`, `node_modules/x/package.json`). */
export function tarballPackageJsons(
  gzipped: Uint8Array,
  label: string,
): Map<string, Record<string, unknown>> {
  let tar: Buffer
  try {
    tar = gunzipSync(gzipped)
  } catch (error) {
    // npm packs with gzip; a plain tar (`.tar`) is read as it is
    if (isTar(Buffer.from(gzipped))) tar = Buffer.from(gzipped)
    else {
      throw new ToteError('ETARBALL', `${label} is not a gzipped tarball: ${(error as Error).message}`, {
        hint: 'Point the dependency at a .tgz made by `npm pack`.',
        cause: error,
      })
    }
  }
  const found = new Map<string, Record<string, unknown>>()
  let longName: string | undefined
  let paxPath: string | undefined
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512)
    if (header.every((byte) => byte === 0)) break
    const size = parseOctal(header.subarray(124, 136))
    const type = String.fromCharCode(header[156] || 48)
    const body = tar.subarray(offset + 512, offset + 512 + size)
    offset += 512 + Math.ceil(size / 512) * 512
    if (type === 'L') {
      longName = cString(body)
      continue
    }
    if (type === 'x') {
      paxPath = paxRecord(body, 'path') ?? paxPath
      continue
    }
    if (type === 'g') continue
    const prefix = cString(header.subarray(345, 500))
    const name = paxPath ?? longName ?? (prefix ? `${prefix}/` : '') + cString(header.subarray(0, 100))
    longName = undefined
    paxPath = undefined
    if (type !== '0' && type !== '\0' && type !== '7') continue
    // npm strips the first folder (`package/`)
    const inside = name.replace(/\\/g, '/').split('/').slice(1).join('/')
    if (inside !== 'package.json' && !/^(node_modules\/(@[^/]+\/)?[^/]+\/)+package\.json$/.test(inside))
      continue
    if (found.has(inside)) continue
    try {
      const json = JSON.parse(body.toString('utf8').replace(/^\uFEFF/, '')) as unknown
      if (json && typeof json === 'object' && !Array.isArray(json))
        found.set(inside, json as Record<string, unknown>)
    } catch (error) {
      if (inside === 'package.json') {
        throw new ToteError('ETARBALL', `${label}: its package.json is not valid JSON`, {
          hint: 'Pack the package again (`npm pack`).',
          cause: error,
        })
      }
    }
  }
  if (!found.has('package.json')) {
    throw new ToteError('ETARBALL', `${label} holds no package.json`, {
      hint: 'Point the dependency at a .tgz made by `npm pack`.',
    })
  }
  return found
}

/** npm's integrity of bytes it has no integrity for: sha512, as SRI. */
export function sha512Integrity(bytes: Uint8Array): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`
}

function isTar(bytes: Buffer): boolean {
  return bytes.length >= 512 && bytes.subarray(257, 262).toString('latin1') === 'ustar'
}

function parseOctal(field: Buffer): number {
  // base-256 for large sizes (first byte 0x80)
  if (field[0]! & 0x80) {
    let value = 0
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!
    return value
  }
  const text = cString(field).trim()
  return text === '' ? 0 : Number.parseInt(text, 8)
}

function cString(field: Buffer): string {
  const end = field.indexOf(0)
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8')
}

function paxRecord(body: Buffer, key: string): string | undefined {
  const text = body.toString('utf8')
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ')
    const record = line.slice(space + 1)
    if (record.startsWith(`${key}=`)) return record.slice(key.length + 1)
  }
  return undefined
}
