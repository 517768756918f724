// The public shapes of the test registry. Other packages' tests code against these, so changes
// here must stay backwards compatible.

/** Options for `createTestRegistry`. */
export interface TestRegistryOptions {
  /** Packages served from the start (more can be added with `addPackages`). */
  packages?: RegistryPackages
  /** Serve only full packuments even when the abbreviated Accept header is sent (like some mirrors). Default false. */
  fullOnly?: boolean
  /** Require `authorization: Bearer <token>` on every request (401 otherwise). */
  token?: string
  /** gzip-encode packument responses when the client sends Accept-Encoding: gzip. Default false. */
  compress?: boolean
  /** Serve one version's document at `/<name>/<version or tag>`, as npm's registry does. Default true. */
  versionDocuments?: boolean
}

/** Package name (scoped allowed: `@s/x`) → its versions and dist-tags. */
export type RegistryPackages = Record<string, PackageSpec>

/** One package of the registry. */
export interface PackageSpec {
  /** Version → what that version contains. */
  versions: Record<string, VersionSpec>
  /** Tag → version. `latest` defaults to the highest non-prerelease version (the highest version if all are prereleases). */
  distTags?: Record<string, string>
}

/** A file inside a package: its content, or its content and mode. */
export type FileSpec = string | Uint8Array | { content: string | Uint8Array; mode?: number }

/** One version of a package: the package.json fields it publishes, and its files. */
export interface VersionSpec {
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  /**
   * As in package.json: names of dependencies shipped inside the tarball. Their files go in `files`
   * (`node_modules/<name>/package.json`, …), the packument lists the names.
   */
  bundleDependencies?: string[]
  /** As in package.json. The packument carries the object form (a string becomes `{ <unscoped name>: path }`). */
  bin?: string | Record<string, string>
  /**
   * Files of the package (path inside the package → content). Default: index.js that exports name and
   * version. package.json is always generated (from this spec) unless given here. A bin target that
   * is not given is generated as a small node script. Modes default to 0o644, and 0o755 for bin targets.
   */
  files?: Record<string, FileSpec>
  os?: string[]
  cpu?: string[]
  libc?: string[]
  scripts?: Record<string, string>
  engines?: Record<string, string>
  license?: string
  /** Deprecation message, shown in the packument only (not written into the tarball's package.json). */
  deprecated?: string
  /**
   * When the version was published (an ISO time, or ms since the epoch), for the full packument's
   * `time`. Default: one minute per version after 2020-01-01, in version order.
   */
  time?: string | number
  /**
   * Raw tarball bytes served instead of a built one (crafted/hostile tarballs); integrity/shasum are
   * computed over these bytes. `dist.fileCount`/`dist.unpackedSize` are left out for raw tarballs.
   */
  tarball?: Uint8Array
}

/**
 * A misbehaviour for requests whose decoded path matches a route. When several faults match, the
 * first registered one that still has uses left (see `times`) applies, alone. Within a fault the steps
 * run in this order: delayMs, requireToken, status (with body), headers, wrongIntegrity, corrupt,
 * truncateAfterBytes / resetAfterBytes / stallAfterBytes.
 */
export interface Fault {
  /** Respond with this status; the body is `body`, or `{"error":"<status text>"}` as JSON. */
  status?: number
  /** Extra response headers, e.g. `{ 'retry-after': '1' }` (added to normal responses too). */
  headers?: Record<string, string>
  /** Body for `status` (ignored without `status`). */
  body?: string
  /** Wait this long before responding (headers included). */
  delayMs?: number
  /** Send headers + this many body bytes, then reset the connection (RST) mid-body. */
  resetAfterBytes?: number
  /** Advertise the full content-length, send only this many bytes, then end the socket (FIN). */
  truncateAfterBytes?: number
  /**
   * Send headers + this many body bytes, then nothing more for `stallMs` (the connection stays open,
   * as with a server or proxy that hangs mid-body), then the rest. Ignored with `resetAfterBytes` or
   * `truncateAfterBytes`.
   */
  stallAfterBytes?: number
  /** How long `stallAfterBytes` stalls. Default: until the client gives up or the registry closes. */
  stallMs?: number
  /** Flip bytes in the body as sent (same length). */
  corrupt?: boolean
  /** Packument routes: advertise a wrong (well-formed) dist.integrity/shasum for every version. */
  wrongIntegrity?: boolean
  /** 401 unless `authorization: Bearer <token>`. */
  requireToken?: string
  /** Apply to the first N matching requests only, then behave normally (default: always). */
  times?: number
}

/** A request as the registry received it. */
export interface RecordedRequest {
  method: string
  /** The request target as sent (not decoded, query string included), e.g. `/@s%2fx`. */
  path: string
  /** Request headers, names in lower case. */
  headers: Record<string, string | string[] | undefined>
}

/** A running registry. */
export interface TestRegistry {
  /** `http://127.0.0.1:<port>/` (always ends with `/`). */
  url: string
  /** Every request received, in order (also those answered with 401 or a fault). */
  requests: RecordedRequest[]
  /** Add or replace packages after start. Each package named gets a new etag and last-modified. */
  addPackages(packages: RegistryPackages): void
  /**
   * Make matching requests misbehave. A string is an exact URL path such as `packumentPath('a')` or
   * `tarballPath('a', '1.0.0')`; it is decoded before comparing, so `/@s%2fx` and `/@s/x` are the same
   * route. A RegExp is tested against the decoded path (`/@s/x`), and also against the path as sent.
   */
  fault(route: string | RegExp, fault: Fault): void
  /** Remove every fault. */
  clearFaults(): void
  /** `/a`, `/@s%2fx` (the server also accepts `/@s/x`). */
  packumentPath(name: string): string
  /** `/a/-/a-1.0.0.tgz`, `/@s/x/-/x-1.0.0.tgz`. */
  tarballPath(name: string, version: string): string
  /** `url` + `tarballPath` without its leading slash; the same URL as the packument's `dist.tarball`. */
  tarballUrl(name: string, version: string): string
  /** sha512 SRI (`sha512-…`) of the served tarball. Throws for an unknown package or version. */
  integrity(name: string, version: string): string
  /** Hex sha1 of the served tarball. Throws for an unknown package or version. */
  shasum(name: string, version: string): string
  /** Stop listening and destroy open sockets (also idle keep-alive ones), so tests never hang. */
  close(): Promise<void>
}

/** Kinds of tar entries `createTarball` writes. */
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'character' | 'block' | 'fifo'

/** One entry for `createTarball`. */
export interface TarEntrySpec {
  /**
   * Written as given (absolute paths, `..`, backslashes, `C:` allowed: this is for hostile tests).
   * Longer than 100 bytes: split into the ustar prefix/name fields when possible, otherwise the name
   * field holds the first 100 bytes and a pax `path` record is added (unless `pax.path` or
   * `gnuLongName` already carries the name).
   */
  path: string
  /** Default `'file'`. */
  type?: TarEntryType
  /** Body of the entry (written for any type when given; the size field is its length). */
  content?: string | Uint8Array
  /** Default 0o644 for files, 0o755 for directories, 0o777 for symlinks, 0o644 otherwise. */
  mode?: number
  /** symlink/hardlink target. Longer than 100 bytes: a pax `linkpath` record is added unless given. */
  linkTarget?: string
  /** Emit a pax extended header (`x`) before the entry with these records (e.g. `{ path: 'long/…' }`). */
  pax?: Record<string, string>
  /** Emit the name through a GNU `L` long-name entry. */
  gnuLongName?: boolean
  /** Modification time in seconds since the epoch. Default: 499162500 (1985-10-26, as npm pack). */
  mtime?: number
}

/** Options for `createTarball`. */
export interface CreateTarballOptions {
  /** gzip the tar. Default true. */
  gzip?: boolean
}
