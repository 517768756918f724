import type { ExtractCallOptions, ExtractorStage, PackageFile } from '@tote/types'

/**
 * Options for {@link extractTarballSync} (`ExtractCallOptions` of @tote/types):
 * - `onWarning`: called for every entry that is dropped (hostile path, link, device) instead of
 *   being written;
 * - `packageId`: `name@version`, put into warnings and error details;
 * - `hashFiles`: checksum each file while writing it: every {@link PackageFile} gets `crc32` (of its
 *   content, as `zlib.crc32` computes it), which the content cache records for its full check (cost:
 *   docs/decisions/2026-12-07-p3-cpu.md).
 */
export type ExtractOptions = ExtractCallOptions

/** What an extraction wrote. */
export interface ExtractResult {
  /** Every regular file written, with its normalised mode; paths are `/`-separated, relative to destDir. */
  files: PackageFile[]
}

/**
 * Options for {@link createExtractor}: none yet. The factory takes an object all the same, as every
 * stage's factory does, so that the scheduler creates each stage the same way.
 */
export type ExtractorOptions = Record<string, never>

/** What {@link createExtractor} returns: the `ExtractorStage` the scheduler calls in its threads. */
export interface Extractor extends ExtractorStage {
  /** {@link extractTarballSync}. */
  extractSync(tarball: Uint8Array, destDir: string, options?: ExtractOptions): ExtractResult
}
