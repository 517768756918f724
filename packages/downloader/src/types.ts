/** Receives a tarball's bytes as they arrive; the registry client starts a fresh one per attempt. */
export interface TarballSink<T> {
  push(chunk: Uint8Array): void
  finish(): T
}

/** What the downloader needs from a registry client (`@tote/registry-client` fits). */
export interface DownloaderDeps {
  fetchTarball<T>(
    url: string,
    options: { signal?: AbortSignal; createSink: () => TarballSink<T>; expectedSize?: number },
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
   * Nothing is returned (so nothing can enter the cache) unless the digest matches.
   *
   * @throws ToteError `EINTEGRITY` with the URL, the expected and the actual digest.
   */
  download(request: TarballRequest, options?: { signal?: AbortSignal }): Promise<DownloadedTarball>
}
