import { type LazyPackument, type PackageManifest, type Packument, versionsOf } from '@tote/types'
import {
  type EngineVersions,
  pickFromVersionDocument,
  pickManifest,
  publishedBy,
  versionSelector,
} from './_pick.js'
import { isRegistrySpec, type ParsedSpec, parseSpec } from './_spec.js'
import type { ResolverDeps, ResolverEvent } from './types.js'

/**
 * From this size (as the registry announces it) a packument is large: while one arrives, the
 * version document that may settle a spec is asked for too (see `pick`).
 */
const LARGE_PACKUMENT_BYTES = 1 << 20

export interface SourceOptions {
  deps: ResolverDeps
  engines: EngineVersions
  legacyPeerDeps: boolean
  /** Optional peers are fetched (with their peers) as npm's peer sets load them; else never speculatively. */
  optionalPeerSets: boolean
  signal: AbortSignal | undefined
  emit: (event: ResolverEvent) => void
  /** Extra specs a name may be asked for (override values), fetched along with the declared ones. */
  overrideSpecs: Map<string, Set<string>>
  /** Most requests discovery keeps with the client at once (placement's own requests go past it). */
  concurrency: number
  /** Whether discovery may skip `name@spec` (a locked node already serves it). */
  alreadyServed: (name: string, spec: string) => boolean
  /** npm's `before` for a package (ms since the epoch), or undefined: versions published later are not picked. */
  cutoffFor: (name: string) => number | undefined
}

/**
 * Packuments for one resolve, and discovery: when a packument arrives, the version every known
 * (name, spec) would pick is chosen and its dependencies' packuments are asked for at once, so the
 * whole graph is in flight together instead of one level at a time. Placement then reads what is
 * already here and waits only for what discovery could not foresee.
 */
export class PackumentSource {
  readonly #options: SourceOptions
  /** Packuments by name, and version documents by `name selector`. */
  readonly #documents = new Map<string, Deferred<LazyPackument>>()
  readonly #waiting: string[] = []
  #inFlight = 0
  readonly #wanted = new Set<string>()
  /** Names the project itself depends on (see `pick`). */
  readonly #projectDependencies = new Set<string>()
  /** Off once the registry answered a version document's request with an error its packument contradicts. */
  #versionDocuments = true
  /** Names whose packument the registry announced as large; each promise settles when it does. */
  readonly #large = new Map<string, { announced: Promise<void>; announce: () => void }>()
  readonly #picked = new Set<string>()
  #started = 0
  #received = 0
  #pending = 0
  #stopped = false

  constructor(options: SourceOptions) {
    this.#options = options
  }

  /**
   * Distinct documents (packuments and version documents) asked of the client; queued speculative
   * requests never sent are not counted.
   */
  get requested(): number {
    return this.#started
  }

  /**
   * The packument of `name`. `urgent` (placement is waiting for it) asks the client now; otherwise
   * (discovery) the request waits its turn.
   */
  get(name: string, urgent = true): Promise<LazyPackument> {
    const { deps, signal, emit } = this.#options
    return this.#document(name, urgent, () => {
      emit({ type: 'packument-requested', name })
      const onSize = (bytes: number) => {
        if (bytes >= LARGE_PACKUMENT_BYTES) this.#largeness(name).announce()
      }
      const packument = deps.getPackument(name, signal ? { signal, onSize } : { onSize }).then(readable)
      const cutoff = this.#options.cutoffFor(name)
      if (cutoff === undefined) return packument
      // npm's `before`: the versions published by then, by the document's `time`, or the one
      // `getReleaseTimes` reads (abbreviated documents have none); versions it does not date stay
      const times = deps.getReleaseTimes?.(name, signal ? { signal } : undefined)
      return Promise.all([packument, times]).then(([document, time]) => {
        const dated = document.time ?? time
        return dated ? publishedBy(document, dated, cutoff) : document
      })
    })
  }

  #largeness(name: string): { announced: Promise<void>; announce: () => void } {
    let largeness = this.#large.get(name)
    if (!largeness) {
      let announce!: () => void
      const announced = new Promise<void>((resolve) => {
        announce = resolve
      })
      largeness = { announced, announce }
      this.#large.set(name, largeness)
    }
    return largeness
  }

  /**
   * npm's pick for `spec`. From one version's document when the client serves them and one may
   * settle it (see {@link pickFromVersionDocument}): an exact version or a tag always, a range only
   * for the project's own dependencies. Those arrive together at the start, when a few packuments
   * of MBs (react-dom 7 MB, typescript 10 MB) would share the link, and each waits for its
   * dependencies to be known. Deeper, a range `latest` does not satisfy (4 in 10 on ant-design)
   * costs a second round trip, and one more request per name costs more than the bytes it spares:
   * measured slower there. Else, and when the document does not settle it, from the packument;
   * but while a large packument arrives, the version document is asked for after all (see
   * {@link #pickWhileLarge}). Null when no version matches; rejects when the packument cannot be had.
   */
  async pick(
    spec: ParsedSpec,
    urgent = true,
    onMiss?: (latest: PackageManifest) => void,
  ): Promise<PackageManifest | null> {
    const { deps, engines, signal } = this.#options
    // a version document has no publish time: with `before`, only the packument answers
    const undated = this.#options.cutoffFor(spec.name) === undefined
    const getVersion = this.#versionDocuments && undated ? deps.getVersion : undefined
    const selector = versionSelector(spec)
    const worthIt = spec.type !== 'range' || this.#projectDependencies.has(spec.name)
    const packumentEntry = this.#documents.get(spec.name)
    if (!getVersion || selector === undefined || packumentEntry?.settled) {
      return pickManifest(await this.get(spec.name, urgent), spec, engines)
    }
    // Once the packument is asked for, it answers every spec of the name, unless it is large.
    if (!worthIt || packumentEntry?.started) return this.#pickWhileLarge(spec, selector, urgent)
    let document: LazyPackument | undefined
    try {
      document = await this.#document(`${spec.name} ${selector}`, urgent, () =>
        getVersion.call(deps, spec.name, selector, signal ? { signal } : undefined).then(readable),
      )
    } catch {
      // The packument says what is wrong (an unknown package, or no such version or tag).
    }
    const manifest = document && pickFromVersionDocument(document, spec, engines)
    if (manifest) return manifest
    const missed = document && onMiss && selectedManifest(document, selector)
    if (missed) onMiss(missed)
    const packument = await this.get(spec.name, urgent)
    if (document === undefined) this.#noteVersionDocumentMissing(packument, selector)
    return pickManifest(packument, spec, engines)
  }

  /**
   * npm's pick from the packument, unless the registry announces it as large: then the version
   * document `selector` names is asked for too, and settles the pick if it can, with the manifest
   * the packument would give. Large packuments arrive one at a time (the client's gate), so a few
   * KB can settle a pick seconds sooner (ant-design: 1.5 s on average, README). Whichever settles
   * it first answers; the packument goes on arriving for the specs that need it.
   */
  #pickWhileLarge(spec: ParsedSpec, selector: string, urgent: boolean): Promise<PackageManifest | null> {
    const { deps, engines, signal } = this.#options
    const packument = this.get(spec.name, urgent)
    return new Promise((resolve, reject) => {
      packument.then((whole) => pickManifest(whole, spec, engines)).then(resolve, reject)
      this.#largeness(spec.name)
        .announced.then(() =>
          this.#document(`${spec.name} ${selector}`, true, () =>
            deps.getVersion!.call(deps, spec.name, selector, signal ? { signal } : undefined).then(readable),
          ),
        )
        .then(
          (document) => {
            const manifest = pickFromVersionDocument(document, spec, engines)
            if (manifest) resolve(manifest)
          },
          () =>
            packument.then(
              (whole) => this.#noteVersionDocumentMissing(whole, selector),
              () => {},
            ),
        )
    })
  }

  /** A version document failed where its packument has the version: this registry serves none. */
  #noteVersionDocumentMissing(packument: LazyPackument, selector: string): void {
    if (packument.versions.get(selector) ?? packument['dist-tags']?.[selector]) this.#versionDocuments = false
  }

  /** A document by key (a name, or `name selector`), asked of the client once per resolve. */
  #document(key: string, urgent: boolean, load: () => Promise<LazyPackument>): Promise<LazyPackument> {
    let entry = this.#documents.get(key)
    if (!entry) {
      this.#pending++
      entry = deferred<LazyPackument>(load)
      this.#documents.set(key, entry)
      if (urgent || this.#inFlight < this.#options.concurrency) this.#start(entry)
      else this.#waiting.push(key)
    } else if (urgent && !entry.started) this.#start(entry)
    return entry.promise
  }

  #start(entry: Deferred<LazyPackument>): void {
    entry.started = true
    this.#started++
    this.#inFlight++
    let promise: Promise<LazyPackument>
    try {
      promise = Promise.resolve(entry.load())
    } catch (error) {
      promise = Promise.reject(error)
    }
    promise.then(entry.resolve, entry.reject)
    const settle = () => {
      entry.settled = true
      this.#inFlight--
      this.#pending--
      this.#received++
      this.#options.emit({ type: 'progress', resolved: this.#received, pending: this.#pending })
      this.#pump()
    }
    promise.then(settle, settle)
  }

  /**
   * Starts waiting requests, newest first: a dependency chain is followed to its end while the rest
   * of the graph streams in, so no long tail of late-discovered levels is left at the end.
   */
  #pump(): void {
    while (this.#inFlight < this.#options.concurrency) {
      const key = this.#waiting.pop()
      if (key === undefined) return
      const entry = this.#documents.get(key)
      if (entry && !entry.started) this.#start(entry)
    }
  }

  /** npm's `before` for `name` (ms since the epoch), when versions published later are not picked. */
  cutoffFor(name: string): number | undefined {
    return this.#options.cutoffFor(name)
  }

  /** Ends discovery: the resolve is over, nothing more is asked for speculatively. */
  stop(): void {
    this.#stopped = true
  }

  /** Announces a picked version (once per name@version), for tarball prefetch. */
  picked(manifest: PackageManifest): void {
    const key = `${manifest.name}@${manifest.version}`
    if (this.#picked.has(key)) return
    this.#picked.add(key)
    this.#options.emit({ type: 'version-picked', name: manifest.name, version: manifest.version, manifest })
  }

  /**
   * Starts fetching what `name@spec` will need, transitively. `install`: it is to be placed, so its
   * dependencies are fetched too. `peers`: it is only weighed in a peer set (npm loads a package's
   * peers beside it to check that they fit, and places only those the tree then lacks), so only its
   * packument and its peers' are. Failures are left for placement to meet. `ofProject`: a
   * dependency of the project itself (see `pick`).
   */
  want(name: string, spec: string, need: Need = 'install', ofProject = false): void {
    if (ofProject) this.#projectDependencies.add(parseSpec(name, spec).name)
    this.#want(name, spec, need)
    for (const extra of this.#options.overrideSpecs.get(name) ?? []) this.#want(name, extra, need)
  }

  #want(name: string, spec: string, need: Need): void {
    const parsed = parseSpec(name, spec)
    if (!isRegistrySpec(parsed)) return
    const key = `${need}:${parsed.name}@${spec}`
    if (this.#stopped || this.#wanted.has(key) || this.#options.signal?.aborted) return
    this.#wanted.add(key)
    this.pick(parsed, false, (latest) => this.#prefetchDependencies(latest, need)).then(
      (manifest) => {
        if (this.#stopped || !manifest) return
        if (need === 'install') this.picked(manifest)
        this.#wantDependencies(manifest, need)
      },
      () => {},
    )
  }

  #wantDependencies(manifest: PackageManifest, need: Need): void {
    this.#eachDependency(manifest, need, (dep, spec, depNeed) => this.want(dep, spec, depNeed))
  }

  /**
   * When `latest` misses a range, the version picked from the packument a round trip later mostly
   * depends on the same packages: those `latest` asks for by range are fetched now, one level deep
   * (vite-react-ts: @types/node's `latest` wants undici-types, and so does the 24.x picked).
   * Exact versions are left out: they are pinned to the version that names them (typescript 7's
   * twenty platform packages, when ~6.0 is picked). A document that turns out unneeded is only a
   * wasted request: placement reads what it needs.
   */
  #prefetchDependencies(latest: PackageManifest, need: Need): void {
    if (this.#stopped) return
    this.#eachDependency(latest, need, (dep, spec) => {
      const parsed = parseSpec(dep, spec)
      if (parsed.type === 'range') this.pick(parsed, false).catch(() => {})
    })
  }

  /** The dependencies of `manifest` that discovery follows for `need`, with what each is needed for. */
  #eachDependency(
    manifest: PackageManifest,
    need: Need,
    visit: (name: string, spec: string, need: Need) => void,
  ): void {
    const { legacyPeerDeps, optionalPeerSets, alreadyServed } = this.#options
    // what the tarball ships is not fetched
    const bundled = new Set(
      manifest.bundleDependencies === true
        ? Object.keys(manifest.dependencies ?? {})
        : Array.isArray(manifest.bundleDependencies)
          ? manifest.bundleDependencies
          : [],
    )
    const wantAll = (map: Record<string, string> | undefined, needOf: (name: string) => Need | null) => {
      for (const [dep, spec] of Object.entries(map ?? {})) {
        if (bundled.has(dep)) continue
        const depNeed = needOf(dep)
        if (depNeed && typeof spec === 'string' && !alreadyServed(dep, spec)) visit(dep, spec, depNeed)
      }
    }
    if (need === 'install') {
      wantAll(manifest.dependencies, () => 'install')
      wantAll(manifest.optionalDependencies, () => 'install')
    }
    if (!legacyPeerDeps) {
      const meta = manifest.peerDependenciesMeta ?? {}
      // a non-optional peer of a package being installed is installed too; an optional one only
      // when something else brings it in, which fetches it then
      wantAll(manifest.peerDependencies, (dep) =>
        meta[dep]?.optional === true ? (optionalPeerSets ? 'peers' : null) : need,
      )
    }
  }
}

/** The one manifest a version document holds: the version its selector (a version or a tag) names. */
function selectedManifest(document: LazyPackument, selector: string): PackageManifest | undefined {
  return document.versions.get(document['dist-tags']?.[selector] ?? selector)
}

/**
 * A document as the resolver reads it, whichever kind the source gave: a lazily read one as it is,
 * a plain one with its versions behind the same methods.
 */
function readable(document: Packument | LazyPackument): LazyPackument {
  const versions = versionsOf(document)
  return versions === document.versions ? (document as LazyPackument) : { ...document, versions }
}

/** What discovery fetches for a wanted `name@spec`: all it depends on, or only its peers. */
export type Need = 'install' | 'peers'

interface Deferred<T> {
  load: () => Promise<T>
  promise: Promise<T>
  resolve: (value: T) => void
  reject: (error: unknown) => void
  started: boolean
  /** Loaded, or failed. */
  settled: boolean
}

function deferred<T>(load: () => Promise<T>): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  // discovery may never read a failure; placement reads it through `promise` when it needs it
  promise.catch(() => {})
  return { load, promise, resolve, reject, started: false, settled: false }
}
