import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { crc32OfFile, fileProblem, lstatIfThere } from './_files.js'
import { HASH_BYTES, parseIndex } from './_index-file.js'
import type { VerifiedEntry, VerifyOptions, VerifySummary } from './types.js'

/** Digest bytes of each algorithm an entry may be keyed by. */
const DIGEST_BYTES: Record<string, number> = { sha512: 64, sha384: 48, sha256: 32, sha1: 20 }

/** Folder names below `dir`, none when it is not there. */
function foldersIn(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return []
    throw error
  }
}

/** The SRI an entry's place stands for (`<algorithm>/<2 hex>/<rest of the hex>`), or undefined. */
function integrityOfPlace(algorithm: string, prefix: string, rest: string): string | undefined {
  const hex = prefix + rest
  const bytes = DIGEST_BYTES[algorithm]
  if (bytes === undefined || !/^[0-9a-f]+$/.test(hex) || hex.length !== bytes * 2) return undefined
  return `${algorithm}-${Buffer.from(hex, 'hex').toString('base64')}`
}

type Judged = Omit<VerifiedEntry, 'integrity' | 'removed'> & { hashed: { files: number; bytes: number } }

/** Checks one entry fully: its index, every file's stat, every file's content against its CRC-32. */
function judge(folder: string, integrity: string, buffer: Buffer): Judged {
  const none = { files: 0, bytes: 0 }
  let text: string
  try {
    text = readFileSync(join(folder, 'index.json'), 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error
    return { status: 'damaged', reason: 'it has no index.json', ...none, hashed: none }
  }
  const index = parseIndex(text, integrity)
  if (index === 'outdated') {
    return { status: 'outdated', reason: 'written by another version of tote', ...none, hashed: none }
  }
  if (index === 'damaged')
    return { status: 'damaged', reason: 'its index.json is damaged', ...none, hashed: none }
  const bytes = index.files.reduce((sum, file) => sum + file.size, 0)
  const about = { identity: index.identity, files: index.files.length, bytes }
  const hashes = Buffer.from(index.hashes, 'base64')
  const hashed = { files: 0, bytes: 0 }
  for (const [i, file] of index.files.entries()) {
    const path = join(folder, 'package', file.path)
    const problem = fileProblem(file, lstatIfThere(path), index.writtenAt)
    if (problem !== undefined) return { status: 'damaged', reason: problem, ...about, hashed }
    const crc = crc32OfFile(path, buffer)
    hashed.files++
    hashed.bytes += file.size
    if (crc !== hashes.readUInt32BE(i * HASH_BYTES)) {
      return {
        status: 'damaged',
        reason: `${file.path} does not match the hash recorded when it was cached`,
        ...about,
        hashed,
      }
    }
  }
  return { status: 'ok', ...about, hashed }
}

/** Checks every entry below `content` (the layout's folder), removing what is damaged or outdated. */
export async function verifyEntries(
  content: string,
  options: VerifyOptions & { removeFolder(folder: string): Promise<boolean> },
): Promise<VerifySummary> {
  const summary: VerifySummary = {
    entries: 0,
    files: 0,
    bytes: 0,
    damaged: [],
    outdated: 0,
    removed: 0,
    removedBytes: 0,
  }
  const buffer = Buffer.allocUnsafe(1 << 20)
  for (const algorithm of foldersIn(content)) {
    for (const prefix of foldersIn(join(content, algorithm))) {
      for (const rest of foldersIn(join(content, algorithm, prefix))) {
        const folder = join(content, algorithm, prefix, rest)
        const integrity = integrityOfPlace(algorithm, prefix, rest)
        const judged: Judged =
          integrity === undefined
            ? {
                status: 'damaged',
                reason: 'its folder is not named for an integrity',
                files: 0,
                bytes: 0,
                hashed: { files: 0, bytes: 0 },
              }
            : judge(folder, integrity, buffer)
        const { hashed, ...found } = judged
        const removed =
          found.status !== 'ok' && options.remove !== false && (await options.removeFolder(folder))
        const entry: VerifiedEntry = {
          integrity: integrity ?? `${algorithm}/${prefix}/${rest}`,
          ...found,
          removed,
        }
        summary.entries++
        summary.files += hashed.files
        summary.bytes += hashed.bytes
        if (entry.status === 'damaged') summary.damaged.push(entry)
        if (entry.status === 'outdated') summary.outdated++
        if (removed) {
          summary.removed++
          summary.removedBytes += entry.bytes
        }
        options.onEntry?.(entry)
        // Hashing runs on this thread: let timers and signals in between entries.
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
  }
  return summary
}
