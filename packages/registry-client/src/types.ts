import type { LazyPackument } from '@tote/types'

/** Options of {@link createRegistryClient}. The CLI passes plain values read from npm configuration. */
export interface RegistryClientOptions {
  /** Default registry URL, ending with `/`. */
  registry: string
  /** Registry URL (ending with `/`) for a package name, for scoped registries. Default: always `registry`. */
  registryFor?: (packageName: string) => string
  /**
   * Value of the Authorization header for a request URL, or undefined for none. Called for every
   * request (packuments, tarballs, each redirect hop), so a token only goes where it belongs.
   */
  authHeaderFor?: (url: string) => string | undefined
  /** Root of the on-disk cache; this client owns `<cacheDir>/metadata-v2/`. No disk cache when undefined. */
  cacheDir?: string
  /** Never touch the network: cached packuments only, `EOFFLINE` otherwise. */
  offline?: boolean
  /** Use a cached packument, however old, without asking the registry. */
  preferOffline?: boolean
  /** Always revalidate cached packuments, even when the registry said they were still fresh. */
  preferOnline?: boolean
  /**
   * Retries after the first try of one URL (npm's `fetch-retries`), whatever failed: the network, a
   * timeout, a 5xx/429/408, a truncated body (each after the backoff), or a body its reader rejects
   * (a damaged document, a tarball whose sink throws a ToteError; tried again at once). Default 2.
   */
  retries?: number
  /** First backoff delay in ms (npm's `fetch-retry-mintimeout`). Default 1000. */
  retryMinTimeout?: number
  /** Each backoff delay is this many times the one before (npm's `fetch-retry-factor`). Default 10. */
  retryFactor?: number
  /** Longest backoff delay in ms, also the cap on `Retry-After` (npm's `fetch-retry-maxtimeout`). Default 60000. */
  retryMaxTimeout?: number
  /** Time allowed to open a connection, in ms. Default 10000. */
  connectTimeout?: number
  /**
   * Longest wait, in ms, for a try's response headers or for the next chunk of its body (npm's
   * `fetch-timeout`, which npm applies to the headers and to an idle socket): a try that stalls
   * ends then, and counts as one of the `retries`. 0: no limit. Default 60000.
   */
  readTimeout?: number
  /**
   * Connections per origin, shared by packuments and tarballs. Default 128 (docs/decisions,
   * 2026-12-07-registry-client: more in flight at once was what made resolving faster).
   */
  connections?: number
  /** Extra certificate authorities (PEM), like npm's `ca`. */
  ca?: string[]
  /**
   * A PEM file of certificate authorities trusted besides Node's own, as `NODE_EXTRA_CA_CERTS` does
   * (and, as there, not when `ca` is given), read when the first connection opens: a process that
   * never connects never parses it. For a launcher that keeps `NODE_EXTRA_CA_CERTS` from Node's
   * start-up, which parses the file in every process (~0.1 s for a system bundle of 140 certificates).
   * A file that cannot be read is passed over, as Node does.
   */
  extraCaFile?: string
  /** Verify TLS certificates. Default true. */
  strictSSL?: boolean
  /** Proxy for http: URLs (npm's `proxy`). */
  proxy?: string
  /** Proxy for https: URLs (npm's `https-proxy`). */
  httpsProxy?: string
  /** Comma-separated hosts (or domain suffixes) reached without the proxy (npm's `noproxy`). */
  noProxy?: string
  /** User-Agent header. Default `tote/<version> node/<version> <platform> <arch>`. */
  userAgent?: string
  /** Receives typed events (requests, retries, cache use), e.g. for progress or `--verbose`. */
  onEvent?: (event: RegistryEvent) => void
  /**
   * Look each host up once for this client, one lookup at a time, and connect every socket to those
   * addresses: for system resolvers that drop simultaneous queries (each stalls for seconds), as on
   * the machines tote is measured on. The CLI turns it on. Default false: each connection asks the
   * system, which honours DNS changes in a long-lived process.
   */
  lookupHostsOnce?: boolean
  /**
   * @deprecated Packument worker threads are gone: packuments are read on the calling thread (they
   * measured no faster, docs/decisions/2026-12-07-registry-client.md). Only 0, which changes
   * nothing, is taken, so that callers that said so keep compiling.
   */
  workers?: 0
}

/**
 * What a {@link RegistryClient} reports through `onEvent`. Every `url` is shown as redactUrl (from
 * @tote/types) shows it, without credentials: events are for progress and logs.
 */
export type RegistryEvent =
  | { type: 'request-start'; url: string }
  | {
      type: 'request-end'
      url: string
      /** HTTP status; 0 when the request failed without a response. */
      status: number
      /** Body bytes received (as sent, before any gunzip). */
      bytes: number
      ms: number
      /** True when a 304 let the cached copy be used. */
      fromCache: boolean
    }
  /** The registry answered with a 2xx and its body begins: `bytes` is its Content-Length (NaN without one). */
  | { type: 'response-start'; url: string; status: number; bytes: number }
  | { type: 'retry'; url: string; attempt: number; reason: string; delay: number }
  /** A cached packument used without asking the registry (fresh, `preferOffline` or `offline`). */
  | { type: 'cache-hit'; name: string; url: string }
  /** The registry answered 304: the cached packument is still current. */
  | { type: 'cache-revalidated'; name: string; url: string }

/**
 * Receives a tarball's bytes as they arrive; a retry starts a fresh sink. A ToteError thrown by
 * `push` or `finish` rejects the body (say, `finish` finds that its digest is not the expected
 * one): that try failed, and the download is tried again at once, within `retries`; once no retry
 * is left, that error is thrown, its message and `details.tries` giving the number of tries. Any
 * other error is thrown at once.
 */
export interface TarballSink<T> {
  push(chunk: Uint8Array): void
  finish(): T
}

/** What a tarball response announces before its bytes arrive. */
export interface TarballBody {
  /** The Content-Length, if the response gave one (the body is checked against it). */
  size: number | undefined
}

/** Options of {@link RegistryClient.fetchTarball}. */
export interface FetchTarballOptions<T> {
  signal?: AbortSignal
  /**
   * Called once per attempt, with the size the response announces (its Content-Length), so that a
   * sink can take the bytes into one buffer of that size instead of gathering and copying chunks.
   * Default: a sink that returns the whole body as one Buffer.
   */
  createSink?: (body: TarballBody) => TarballSink<T>
  /** Expected byte size, if known: a hint for the default sink (the body's Content-Length is what is checked). */
  expectedSize?: number
}

/** Options of {@link RegistryClient.getPackument}. */
export interface PackumentRequestOptions {
  signal?: AbortSignal
  /**
   * Called once when the registry starts sending the document, with its size in bytes (its
   * Content-Length; NaN without one), so that a caller can choose another way while a large one
   * arrives. A caller joining a request already answered is told at once. Not called for a
   * document that comes from the cache.
   */
  onSize?: (bytes: number) => void
}

/** Talks to npm-compatible registries. Create one per command with {@link createRegistryClient}. */
export interface RegistryClient {
  /**
   * The package's document, read lazily: each version is reduced to `PackageManifest` fields when
   * `versions.get` first asks for it. One request in flight per name however many callers ask; a
   * fetched packument is kept for the client's lifetime.
   */
  getPackument(name: string, options?: PackumentRequestOptions): Promise<LazyPackument>
  /**
   * One version's document (`<registry>/<name>/<selector>`), where `selector` is a dist-tag or an
   * exact version: a packument holding only that version, and the tag (when `selector` is one) as
   * its only dist-tag. A few KB where the packument may be MBs. Cached like packuments.
   */
  getVersion(name: string, selector: string, options?: { signal?: AbortSignal }): Promise<LazyPackument>
  /**
   * A tarball's bytes. `createSink` is called once per attempt (a retry starts a fresh sink) and gets
   * every chunk as it arrives, so callers can hash while the body streams, and check the digest in
   * `finish`: a ToteError from the sink is retried (see {@link TarballSink}).
   */
  fetchTarball<T = Buffer>(url: string, options?: FetchTarballOptions<T>): Promise<T>
  /** Requests in flight now (for progress). */
  readonly inFlight: number
  /**
   * Lets go of the documents this client keeps once loaded (a resolve's packuments), so that their
   * memory can serve what comes next (an install's tarballs). Documents still being fetched stay
   * shared; a later request for a forgotten one loads it again (from the disk cache when there is
   * one).
   */
  forgetDocuments(): void
  /**
   * Flushes pending metadata-cache writes and closes connections. Documents still being fetched
   * are abandoned: their promises reject.
   */
  close(): Promise<void>
}
