/**
 * Receives a tarball's bytes as they arrive; the registry client starts a fresh one per attempt.
 * The downloader's `finish` throws `EINTEGRITY` when the digest is not the expected one.
 */
export interface TarballSink<T> {
  push(chunk: Uint8Array): void
  finish(): T
}

/**
 * What the downloader needs from a registry client (`@tote/registry-client` fits): one that calls
 * `createSink` once per try and retries a try whose sink throws a ToteError, so that a body
 * corrupted on its way is downloaded again.
 */
export interface DownloaderDeps {
  fetchTarball<T>(
    url: string,
    options: {
      signal?: AbortSignal
      /** Called once per try, with the size the response announces (Content-Length), if the client knows it. */
      createSink: (body?: { size: number | undefined }) => TarballSink<T>
      expectedSize?: number
    },
  ): Promise<T>
}

/** What to download: the fields of an `InstallPackage` the downloader reads. */
export interface TarballRequest {
  name: string
  version: string
  tarballUrl: string
  /** SRI string to verify against; when empty, the tarball's sha512 is computed and returned. */
  integrity?: string
}

/** A downloaded, verified tarball. */
export interface DownloadedTarball {
  /** The gzipped tarball bytes. */
  data: Buffer
  /** The integrity it was verified against (the strongest hash of the request's), or its sha512 when none was given. */
  integrity: string
}

/** Typed events for progress and traces. */
export type DownloaderEvent =
  | { type: 'download-start'; name: string; version: string; url: string }
  | { type: 'download-end'; name: string; version: string; url: string; bytes: number; ms: number }

export interface DownloaderOptions {
  onEvent?: (event: DownloaderEvent) => void
}

export interface Downloader {
  /**
   * Fetches a tarball and checks it against its integrity, hashing each chunk as it arrives.
   * Nothing is returned (so nothing can enter the cache) unless the digest matches. A try whose
   * digest does not match fails, and the client tries again (at once, within its retries).
   *
   * @throws ToteError `EINTEGRITY` with the URL, the expected and the actual digest (of the last
   * try), and the number of tries.
   */
  download(request: TarballRequest, options?: { signal?: AbortSignal }): Promise<DownloadedTarball>
}
