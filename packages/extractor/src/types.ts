import type { PackageFile, StageWarning } from '@tote/types'

/** Options for {@link extractTarballSync} and for one `extract()` call. */
export interface ExtractOptions {
  /** Called for every entry that is dropped (hostile path, link, device) instead of being written. */
  onWarning?(warning: StageWarning): void
  /** `name@version`, put into warnings and error details. */
  packageId?: string
  /**
   * Hash each file while writing it: every {@link PackageFile} gets `sha256` (base64), which the
   * content cache records for its full check (cost: docs/decisions/2026-12-07-cache-verification.md).
   */
  hashFiles?: boolean
}

/** What an extraction wrote. */
export interface ExtractResult {
  /** Every regular file written, with its normalised mode; paths are `/`-separated, relative to destDir. */
  files: PackageFile[]
}

/** What {@link Extractor.extract} resolves to: the files, and the warnings the extraction raised. */
export interface PooledExtractResult extends ExtractResult {
  warnings: StageWarning[]
}

/** Options for {@link createExtractor}. */
export interface ExtractorOptions {
  /**
   * Worker threads to extract in. `'auto'` (default) picks what measured fastest (see README);
   * `false` extracts on the calling thread (still through a Promise).
   */
  workers?: number | 'auto' | false
  /**
   * The worker module to run, for bundled builds that ship it under another name or folder.
   * Default: {@link extractorWorkerFile}().
   */
  workerFile?: string | URL
}

/** Extracts tarballs into folders, in a worker pool or on the calling thread. */
export interface Extractor {
  /**
   * Unpacks `tarball` (gzip or plain tar) into `destDir`. With workers, the tarball's ArrayBuffer is
   * transferred to the worker (no copy), so `tarball` is empty (detached) afterwards; a view into a
   * larger buffer (a pooled Buffer) is copied instead. Rejects with ToteError `ETARBALL` for a
   * damaged tarball; the caller removes whatever was written to `destDir`.
   */
  extract(tarball: Uint8Array, destDir: string, options?: ExtractOptions): Promise<PooledExtractResult>
  /** Stops the workers. Pending extractions are rejected. */
  close(): Promise<void>
}
