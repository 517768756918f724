import { createHash, type Hash } from 'node:crypto'
import { redactUrl, strongestHash, ToteError } from '@tote/types'
import type {
  DownloadedTarball,
  Downloader,
  DownloaderDeps,
  DownloaderOptions,
  TarballRequest,
  TarballSink,
} from './types.js'

/**
 * Creates a downloader over a registry client's `fetchTarball`. Retries, auth and connection reuse
 * are the client's; this stage only hashes and verifies, each try's body in its own sink, so that a
 * body damaged on its way is a fault of that try, which the client retries.
 */
export function createDownloader(deps: DownloaderDeps, options: DownloaderOptions = {}): Downloader {
  const emit = options.onEvent
  return {
    async download(request, { signal } = {}) {
      const expected = request.integrity ? strongestHash(request.integrity) : undefined
      const algorithm = expected?.algorithm ?? 'sha512'
      const started = performance.now()
      emit?.({
        type: 'download-start',
        name: request.name,
        version: request.version,
        url: request.tarballUrl,
      })
      const { data, digest } = await deps.fetchTarball(request.tarballUrl, {
        ...(signal ? { signal } : {}),
        createSink: (body) =>
          hashingSink(algorithm, (digest) => checkDigest(request, expected, digest), body?.size),
      })
      emit?.({
        type: 'download-end',
        name: request.name,
        version: request.version,
        url: request.tarballUrl,
        bytes: data.length,
        ms: performance.now() - started,
      })
      const integrity: DownloadedTarball['integrity'] = expected?.sri ?? `${algorithm}-${digest}`
      return { data, integrity }
    },
  }
}

/** Throws EINTEGRITY when a body's digest is not the expected one (nothing expected: any is fine). */
function checkDigest(
  request: TarballRequest,
  expected: ReturnType<typeof strongestHash> | undefined,
  digest: string,
): void {
  if (!expected || digest === expected.base64) return
  const actual = `${expected.algorithm}-${digest}`
  const url = redactUrl(request.tarballUrl)
  throw new ToteError(
    'EINTEGRITY',
    `Integrity check failed for ${request.name}@${request.version} (${url}): expected ${expected.sri}, got ${actual}`,
    {
      hint: 'The tarball differs from what the lockfile recorded. If the registry really changed it, delete the entry from package-lock.json and install again.',
      details: { url, expected: expected.sri, actual },
    },
  )
}

/** The largest tarball taken into a buffer of its announced size (a larger announcement is not trusted). */
const MAX_PREALLOCATED = 1024 * 1024 * 1024

/**
 * Hashes the chunks as they arrive, so the digest is ready when the body ends; `check` sees it
 * before the bytes are handed on. With the size the response announced, the chunks are copied into
 * one buffer of that size as they come (the bytes held once: gathering them and joining them at the
 * end held a 45 MB tarball twice); otherwise, or when the body outgrows it, they are gathered and
 * joined (the client checks the length against the announcement either way).
 */
function hashingSink(
  algorithm: string,
  check: (digest: string) => void,
  announced: number | undefined,
): TarballSink<{ data: Buffer; digest: string }> {
  const hash: Hash = createHash(algorithm)
  let target =
    announced !== undefined && announced > 0 && announced <= MAX_PREALLOCATED
      ? Buffer.allocUnsafeSlow(announced)
      : undefined
  const chunks: Uint8Array[] = []
  let size = 0
  return {
    push(chunk) {
      hash.update(chunk)
      if (target && size + chunk.length <= target.length) target.set(chunk, size)
      else {
        if (target) chunks.push(target.subarray(0, size))
        target = undefined
        chunks.push(chunk)
      }
      size += chunk.length
    },
    finish() {
      const digest = hash.digest('base64')
      check(digest)
      const data =
        target === undefined
          ? Buffer.concat(chunks, size)
          : size === target.length
            ? target
            : target.subarray(0, size)
      return { data, digest }
    },
  }
}
