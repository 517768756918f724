import { isToteError, ToteError } from '@tote/types'
import { type InflateOptions, inflateTarball } from './_inflate.js'
import { damaged, TarReader } from './_tar.js'
import { PackageWriter } from './_writer.js'
import type { ExtractOptions, ExtractResult } from './types.js'

/**
 * The most tar a tarball may hold (4 GiB, what gunzipSync could return on Node 20): a gzip bomb
 * fails instead of filling the disk.
 */
const MAX_TAR_BYTES = 2 ** 32
/** Thrown through the inflater to stop it at once (every other failure lets it run to the end). */
const tooLarge = new Error('too much tar')

/**
 * Unpacks a gzipped (or plain) npm tarball into `destDir`, stripping its top folder. Hostile entries
 * (absolute paths, `..`, drive letters, links, devices, fifos) are dropped with a warning
 * (`ETARBADENTRY`); nothing is ever written outside `destDir`. Modes become 0o644, or 0o755 when any
 * execute bit is set (the process umask applies, as with npm). When an entry appears twice, the last
 * one wins. A damaged tarball throws ToteError `ETARBALL`; the caller removes `destDir`.
 *
 * Synchronous on purpose: it runs inside worker threads. `destDir` is expected to be new or empty;
 * in a reused folder, existing files and symlinks in the way are replaced, never written through.
 */
export function extractTarballSync(
  tarball: Uint8Array,
  destDir: string,
  options: ExtractOptions = {},
): ExtractResult {
  return extractTarball(tarball, destDir, options)
}

export interface ExtractTuning extends InflateOptions {
  /** Default {@link MAX_TAR_BYTES}; tests use a small one. */
  maxTarBytes?: number
}

/**
 * {@link extractTarballSync} with the inflater chosen (tests run both paths, and tiny output buffers).
 * Gunzip, tar reading and writing run as one stream: each piece of output is read and written before
 * the next is inflated into the same buffer. When reading or writing fails, gunzip still runs to the
 * end (into nothing) so that a damaged gzip is reported as such, whatever garbage it produced first.
 */
export function extractTarball(
  tarball: Uint8Array,
  destDir: string,
  options: ExtractOptions = {},
  tuning: ExtractTuning = {},
): ExtractResult {
  const maxTarBytes = tuning.maxTarBytes ?? MAX_TAR_BYTES
  const { packageId } = options
  if (tarball.length === 0) throw damaged('empty tarball', packageId)
  const writer = new PackageWriter(destDir, options)
  const reader = new TarReader(writer, packageId)
  let failure: { error: unknown } | undefined
  let total = 0
  const sink = (chunk: Buffer, length: number): void => {
    total += length
    if (total > maxTarBytes) throw tooLarge
    if (failure) return
    try {
      reader.write(chunk, 0, length)
    } catch (error) {
      failure = { error }
    }
  }
  try {
    writer.start()
    try {
      inflateTarball(tarball, sink, tuning)
    } catch (error) {
      if (error === tooLarge) throw damaged(`more than ${maxTarBytes} bytes of tar`, packageId)
      throw damaged(`gunzip failed (${(error as Error).message})`, packageId, error)
    }
    if (failure) throw failure.error
    reader.end()
    return { files: writer.finish() }
  } catch (error) {
    if (isToteError(error)) throw error
    const code = (error as NodeJS.ErrnoException).code
    if (code === undefined) throw error // a programmer error, or one from onWarning
    throw new ToteError('EEXTRACT', `${packageId ?? 'tarball'}: could not write ${writer.target}: ${code}`, {
      hint:
        code === 'ENOSPC' ? 'Free some disk space and try again.' : 'Check the permissions of that folder.',
      cause: error,
      details: {
        path: writer.target,
        errno: code,
        ...(packageId === undefined ? {} : { package: packageId }),
      },
    })
  } finally {
    writer.close()
  }
}
