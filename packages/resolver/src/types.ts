import type { LazyPackument, Lockfile, PackageManifest, Packument, ProjectManifest } from '@tote/types'

/** Where packuments come from (tote's registry client, or an in-memory map in tests). */
export interface ResolverDeps {
  /**
   * The packument of `name`: a lazily read one (tote's registry client) or a plain one (a map in
   * tests). Throws a `ToteError` with code `E404` for an unknown package.
   * `onSize`, when the source can tell, is called with the document's size in bytes as it begins
   * to arrive: while a large one does, a dependency that a version document settles is resolved
   * from that document instead (with `getVersion`).
   */
  getPackument(
    name: string,
    options?: { signal?: AbortSignal; onSize?: (bytes: number) => void },
  ): Promise<Packument | LazyPackument>
  /**
   * Optional: one version's document, as a packument holding only the version `selector` (a
   * dist-tag or an exact version) names, the tag being its only dist-tag. When given, a dependency
   * such a document settles (an exact version, a tag, or a range npm's first choice, `latest`,
   * satisfies) is resolved from it, and the packument, often MBs, is fetched only for the others.
   * The tree is the same either way.
   */
  getVersion?(
    name: string,
    selector: string,
    options?: { signal?: AbortSignal },
  ): Promise<Packument | LazyPackument>
  /**
   * Optional: the package.json of a folder a `file:` or `link:` dependency points to, `path` being
   * relative to the project, POSIX (`vendor/a`, `../lib`). Without it such dependencies fail
   * (`ENOLOCAL`). Throw a `ToteError` naming the folder when there is no package.json.
   */
  readPackage?(path: string): Promise<ProjectManifest>
  /**
   * Optional: a tarball that is not a registry version, `file:` (`path` relative to the project,
   * POSIX) or a URL: its package.json and its integrity (npm's: sha512 of the bytes); also asked
   * for a registry package that has `bundleDependencies`, for the packages its tarball ships. Without
   * it tarball specs fail (`EUNSUPPORTEDSPEC`) and bundled dependencies are not looked into.
   */
  readTarball?(source: TarballSource, options?: { signal?: AbortSignal }): Promise<TarballPackage>
  /**
   * Optional: a git dependency's package.json at the commit its spec names, and that commit (40 hex
   * digits). Without it git specs fail (`EUNSUPPORTEDSPEC`).
   */
  readGit?(source: GitSource, options?: { signal?: AbortSignal }): Promise<GitPackage>
  /**
   * Optional: when each version of `name` was published (version → ISO time, a full registry
   * document's `time`), asked for only with {@link ResolverOptions.before}, alongside the packument,
   * when packuments come without `time` (abbreviated ones). Without either, no version is filtered
   * out (npm's rule for a document without dates).
   */
  getReleaseTimes?(name: string, options?: { signal?: AbortSignal }): Promise<Record<string, string>>
}

/** A git dependency spec, read by `parseGitSpec`: where to clone from, what to check out, and how npm records it. */
export interface GitSpec {
  /** URLs to try, in npm's order (a hosted repository: https, then ssh). */
  urls: string[]
  /** `resolved` without the commit: `git+ssh://git@github.com/u/r.git`, `git+https://host/r.git`. */
  base: string
  /** A branch, tag or commit (`#v1.0.0`, `#main`, `#<sha>`); none: the default branch. */
  committish?: string
  /** `#semver:<range>`: the highest tag in that range. */
  range?: string
}

/** Where a git dependency is, and what to check out. */
export interface GitSource {
  /** Repository URLs to try in turn (a hosted repository: https, then ssh), without `git+`. */
  urls: string[]
  /** A branch, tag or commit; neither this nor `range`: the default branch. */
  committish?: string
  /**
   * For `#semver:<range>`: chooses among the repository's tag names (the highest version in the
   * range, `v` prefix allowed); undefined when none is in it. Check out the tag it names.
   */
  pickTag?(tags: string[]): string | undefined
}

/** What {@link ResolverDeps.readGit} reads. */
export interface GitPackage {
  manifest: ProjectManifest
  /** The commit checked out (40 hex digits). */
  commit: string
}

/**
 * Where a tarball is: a spec's (`file:` path relative to the project, or a URL), or a registry
 * package's whose bundled dependencies are wanted (`integrity`: what the bytes must match).
 */
export type TarballSource =
  | { type: 'file'; path: string; integrity?: string }
  | { type: 'remote'; url: string; integrity?: string }

/** What {@link ResolverDeps.readTarball} reads from a tarball. */
export interface TarballPackage {
  /** Its package.json. */
  manifest: ProjectManifest
  /** SRI of the tarball's bytes (sha512). */
  integrity: string
  /**
   * The package.json of each package it ships in its node_modules, by folder inside the package
   * (`node_modules/a`, `node_modules/a/node_modules/@s/b`): its bundled dependencies.
   */
  bundled?: Record<string, ProjectManifest>
}

/** A workspace of the project: its folder (relative to the project, POSIX) and its package.json. */
export interface WorkspaceManifest {
  path: string
  manifest: ProjectManifest
}

/** Options of {@link createResolver}. Names and meaning follow npm's configuration. */
export interface ResolverOptions {
  /** npm's `legacy-peer-deps`: peer dependencies are not installed (still listed in entries). */
  legacyPeerDeps?: boolean
  /**
   * npm's `force`: a peer conflict never stops the resolve (no `ERESOLVE`); the tree keeps what it
   * has and warns (`EPEERCONFLICT`), as npm writes it with `--force`.
   */
  force?: boolean
  /**
   * npm's `strict-peer-deps`: a conflict in any required peer set is `ERESOLVE`, not only in the
   * project's own (without it, a conflict deeper down is a warning and the tree goes on, as npm's).
   */
  strictPeerDeps?: boolean
  /** Registry URL for a package name; a `resolved` URL under it is a registry URL. */
  registryFor?: (name: string) => string
  /**
   * npm's `install-links`: a `file:` folder that is not one of the project's workspaces is installed
   * as npm installs a registry package (packed as `npm pack` packs it, its dependencies resolved and
   * hoisted; lockfile entry `resolved: "file:<folder>"`, no integrity) instead of linked. `link:`
   * specs and workspaces stay links.
   */
  installLinks?: boolean
  /**
   * npm's `install-strategy`: `hoisted` (default: each package as high in the tree as it fits),
   * `nested` (in the node_modules of the package that depends on it, unless one above already
   * serves it) or `shallow` (the project's own dependencies at the top, theirs below each of them).
   * npm's `linked` is not supported.
   */
  installStrategy?: 'hoisted' | 'nested' | 'shallow'
  /** npm's `omit-lockfile-registry-resolved`: leave `resolved` out for registry tarballs. */
  omitLockfileRegistryResolved?: boolean
  /**
   * npm's `allow-git`: `all` (default), `none` (a git spec fails with `EALLOWGIT`), or `root` (only
   * the project's and its workspaces' own git dependencies are fetched).
   */
  allowGit?: 'all' | 'none' | 'root'
  /**
   * npm's `before` (ms since the epoch, or a Date): only versions published at or before it are
   * picked, by the packument's `time` (see {@link ResolverDeps.getReleaseTimes}); a tag naming a later
   * version picks the highest version up to it. npm's `min-release-age` (days) is `before` that many
   * days ago. Versions a lockfile pins are kept.
   */
  before?: number | Date
  /**
   * npm's `min-release-age-exclude`: package names, or globs with `*` (`@myorg/*`), that
   * {@link before} does not apply to.
   */
  releaseAgeExclude?: readonly string[]
  /** Node.js version for npm's engines preference when picking a version. Default `process.version`. */
  nodeVersion?: string
  /** npm version for the same preference (`engines.npm`); not checked when unset, as npm does without it. */
  npmVersion?: string
  /**
   * Most speculative packument requests handed to the client at once (default 128). Discovery keeps
   * the rest and sends the newest first; requests placement waits for are sent at once regardless.
   */
  concurrency?: number
  /**
   * Leave out of peer sets an optional peer that no node of the tree has or depends on (default
   * `false`). Such a peer is never placed, but npm loads it with its own peers beside its dependant to
   * check that they fit, which fetches their packuments. On, they are not fetched, and the tree differs
   * from npm's where they would not have fit: e.g. `@types/react-dom@19` (optional peer of many React
   * packages) wants `@types/react@^19`, and with `@types/react@18` in the tree npm nests the dependant.
   */
  skipAbsentOptionalPeers?: boolean
  /** Called for each {@link ResolverEvent}; stages never print. */
  onEvent?: (event: ResolverEvent) => void
}

/** Something the resolver did or noticed, in order. */
export type ResolverEvent =
  /** A packument was asked for (once per name and resolve). */
  | { type: 'packument-requested'; name: string }
  /**
   * A version of `name` was picked for some range: early, so that an installer can start downloading
   * its tarball. Speculative: a picked version may end up unused (deduped away).
   */
  | { type: 'version-picked'; name: string; version: string; manifest: PackageManifest }
  | ({ type: 'warning' } & ResolverWarning)
  /** Packuments received so far, and requests still in flight. */
  | { type: 'progress'; resolved: number; pending: number }

/** A problem that did not stop the resolve. */
export interface ResolverWarning {
  /**
   * `EOPTIONALFAILED` (an optional dependency could not be resolved and was left out),
   * `EOLDLOCKFILE` (a package of an npm 6 lockfile whose metadata could not be fetched),
   * `EPEERCONFLICT` (a peer dependency could not be met; another version was kept).
   */
  code: string
  message: string
  /** Who wanted it: `['root', 'a@1.0.0', 'b@2.0.0']`, the last element being the dependency (`name@spec`). */
  chain: string[]
}

/** What {@link Resolver.resolve} returns. */
export interface ResolveResult {
  /** package-lock v3 object: `packages` keyed by install path, `""` being the project. */
  lockfile: Lockfile
  warnings: ResolverWarning[]
  stats: {
    /** Registry documents fetched: packuments and version documents (0 when an up-to-date lockfile was reused). */
    packuments: number
    /** Entries in `lockfile.packages`, the project excluded. */
    packages: number
  }
}

/** Options of one {@link Resolver.resolve} call. */
export interface ResolveOptions {
  /** The current lockfile: reused as is when up to date, else the starting tree (locked versions kept where they still fit). */
  lockfile?: Lockfile
  signal?: AbortSignal
  /**
   * Project dependencies the user named to add (`tote add <name>`, npm's explicit requests): resolved
   * anew to the newest version their spec allows, even where the tree already has one that fits.
   */
  explicit?: readonly string[]
  /**
   * Packages to update wherever the tree has them (`npm update <name>`): every dependency on one of
   * these names is resolved anew, to the newest version its range allows.
   */
  update?: readonly string[]
  /**
   * The project's workspaces (`@tote/lockfile`'s `readWorkspaces` finds them), in npm's order: each
   * is linked at `node_modules/<name>` and its dependencies are resolved with the project's.
   */
  workspaces?: readonly WorkspaceManifest[]
  /** The project's absolute path: `file:` specs with an absolute or `~` path are made relative to it. */
  projectDir?: string
  /**
   * `lockfile` was read from an npm 6 file (lockfileVersion 1; `@tote/lockfile`'s `lockfileFormat`
   * tells): it lacks each package's dependency types, engines, bin, license…, so each registry
   * entry's manifest is fetched first (from its packument) and the tree is loaded from it, as npm 7+ does once; the result is always a new lockfile (npm writes it
   * back as version 3). A package whose metadata cannot be had keeps its entry, with a warning
   * (`EOLDLOCKFILE`).
   */
  oldLockfile?: boolean
}

/** Resolves a project's dependencies to a placed tree. */
export interface Resolver {
  resolve(project: ProjectManifest, options?: ResolveOptions): Promise<ResolveResult>
}
