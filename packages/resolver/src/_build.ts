import { isToteError, type PackageManifest, type ProjectManifest, ToteError } from '@tote/types'
import type { Edge } from './_edge.js'
import { peerConflictError } from './_eresolve.js'
import type { Folders } from './_folders.js'
import { gitSourceOf } from './_git.js'
import { copiedFrom, folderOf, linkedUnderInstallLinks, localPath } from './_local.js'
import { integrityOf, normalizedPackage } from './_lockfile.js'
import { nearestVersions } from './_pick.js'
import { PlaceDep } from './_place-dep.js'
import { satisfies } from './_semver.js'
import type { PackumentSource } from './_source.js'
import { isRegistrySpec, type ParsedSpec } from './_spec.js'
import { bundleList, Node } from './_tree.js'
import type { ResolverDeps, TarballSource } from './types.js'

// npm's buildIdealTree loop: take the shallowest node (then by path) that has missing or invalid
// dependencies, pick a version for each (with its peer set, in a virtual root copying the dependant's
// dependencies), place them in name order, and queue whatever the placements changed.

export interface BuildOptions {
  source: PackumentSource
  compare: (a: string, b: string) => number
  signal: AbortSignal | undefined
  /**
   * npm's peer sets: every optional peer is loaded beside its dependant (with its own peers), even one
   * the tree neither has nor wants. Off: such a peer is left out (it is never placed either way).
   */
  optionalPeerSets: boolean
  /** npm's `force`: a peer conflict never stops the build. */
  force: boolean
  /** npm's `strict-peer-deps`: a conflict in any required peer set stops it, not only the project's. */
  strictPeerDeps: boolean
  /** Names of project dependencies resolved anew though what the tree has fits (npm's explicit requests). */
  explicit: ReadonlySet<string>
  /** Names resolved anew wherever they are depended on (npm's updateNames). */
  update: ReadonlySet<string>
  onPeerConflict: (edge: Edge, dep: Node) => void
  /** The project's workspaces and linked folders. */
  folders: Folders
  /** Reads a tarball spec's package.json (see ResolverDeps.readTarball). */
  readTarball: ResolverDeps['readTarball']
  /** Reads a git spec's package.json and commit (see ResolverDeps.readGit). */
  readGit: ResolverDeps['readGit']
  /** npm's allow-git. */
  allowGit: 'all' | 'none' | 'root'
  /** npm's install-strategy (see ResolverOptions.installStrategy). */
  installStrategy: 'hoisted' | 'nested' | 'shallow'
}

/** What the tarball of a tarball spec ships in its node_modules, by its manifest. */
const bundledOf = new WeakMap<PackageManifest, Record<string, ProjectManifest>>()

/** A tarball's package.json as the manifest of a node: npm's normalisation, `dist` as npm records it. */
function manifestOfTarball(
  pkg: ProjectManifest,
  resolved: string,
  integrity: string,
  name: string,
): PackageManifest {
  const data = normalizedPackage(pkg as Record<string, unknown>)
  const scripts = (data.scripts && typeof data.scripts === 'object' ? data.scripts : {}) as Record<
    string,
    unknown
  >
  const manifest = {
    ...data,
    name: typeof data.name === 'string' && data.name ? data.name : name,
    version: typeof data.version === 'string' ? data.version : '',
    dist: { tarball: resolved, integrity },
  } as PackageManifest
  if (data.hasInstallScript === true || scripts.install || scripts.preinstall || scripts.postinstall) {
    manifest.hasInstallScript = true
  }
  return manifest
}

/** Placements for one peer edge beyond which it is taken to be cycling (see #cycling). */
const PEER_ATTEMPTS_LIMIT = 16

/** Nodes by (depth, path), each once, like npm's DepsQueue (kept sorted as items come in). */
class DepsQueue {
  readonly #items: { node: Node; depth: number; location: string }[] = []
  readonly #queued = new Set<Node>()

  constructor(private readonly compare: (a: string, b: string) => number) {}

  get length(): number {
    return this.#items.length
  }

  push(node: Node): void {
    if (this.#queued.has(node)) return
    this.#queued.add(node)
    const item = { node, depth: node.depth, location: node.location }
    let low = 0
    let high = this.#items.length
    while (low < high) {
      const mid = (low + high) >>> 1
      const other = this.#items[mid]!
      const order = other.depth - item.depth || this.compare(other.location, item.location)
      if (order <= 0) low = mid + 1
      else high = mid
    }
    this.#items.splice(low, 0, item)
  }

  pop(): Node | undefined {
    const item = this.#items.shift()
    if (item) this.#queued.delete(item.node)
    return item?.node
  }
}

export class TreeBuilder {
  readonly loadFailures = new Set<Node>()
  readonly #queue: DepsQueue
  readonly #seen = new Set<Node>()
  readonly #virtualRoots = new Map<Node, Node>()
  readonly #skippedPeers = new WeakMap<Node, Map<string, Edge>>()
  /** How often each peer edge (by dependant's place and version) was taken up for placement. */
  readonly #peerAttempts = new Map<string, number>()
  /** Manifests of tarball specs, by `resolved`. */
  readonly #tarballs = new Map<string, Promise<PackageManifest>>()
  /** Links placed or met, whose folders are looked at once the queue is empty (npm's linkNodes). */
  readonly #links = new Set<Node>()

  constructor(
    readonly root: Node,
    readonly options: BuildOptions,
  ) {
    this.#queue = new DepsQueue(options.compare)
  }

  async build(start: Iterable<Node>): Promise<void> {
    for (const node of start) this.#queue.push(node)
    do {
      for (let node = this.#queue.pop(); node; node = this.#queue.pop()) {
        this.options.signal?.throwIfAborted()
        if (this.#seen.has(node) || node.root !== this.root) continue
        this.#seen.add(node)
        await this.#step(node)
      }
    } while (this.#resolveLinks())
  }

  /**
   * npm's resolveLinks: once the queue is empty, the folders of the links placed so far (workspaces,
   * `file:` folders inside the project) get their own dependencies resolved, in queue order; folders
   * outside the project are left as they are. True when any was queued.
   */
  #resolveLinks(): boolean {
    let queued = false
    for (const link of this.#links) {
      this.#links.delete(link)
      const target = link.linkTarget
      if (!target || link.root !== this.root || !target.isDescendantOf(this.root)) continue
      if (this.#seen.has(target) || !target.resolveParent) continue
      this.#queue.push(target)
      queued = true
    }
    return queued
  }

  /** Edges of `node` that need a (new) node: missing, or not satisfied by what they resolve to. */
  problemEdges(node: Node): Edge[] {
    const bundled = new Set(node.isProjectRoot || node.isWorkspace ? [] : bundleList(node.pkg))
    const problems: Edge[] = []
    for (const edge of node.edgesOut.values()) {
      if (bundled.has(edge.name)) continue
      const to = edge.to
      if (to && this.loadFailures.has(to)) continue
      if (!to) {
        if (edge.type !== 'peerOptional') problems.push(edge)
      } else if (!edge.valid || this.options.update.has(edge.name) || this.isExplicit(edge))
        problems.push(edge)
    }
    return problems
  }

  /** An edge of the project to a dependency the user named (npm's explicit request). */
  isExplicit(edge: Edge): boolean {
    return edge.from === this.root && this.options.explicit.has(edge.name)
  }

  async #step(node: Node): Promise<void> {
    await this.#loadBundle(node)
    const tasks: { edge: Edge; dep: Node }[] = []
    for (const edge of this.problemEdges(node)) {
      if (edge.peerConflicted) continue
      if (edge.peer && this.#cycling(edge)) {
        // npm never finishes here (a peer set pruned and placed again, forever); the conflict was
        // one npm lets be, so tote lets it be too and warns
        edge.peerConflicted = true
        continue
      }
      const virtualRoot = this.#virtualRoot(node, true)
      const vrEdge = virtualRoot.edgesOut.get(edge.name)
      const vrDep = vrEdge?.valid ? vrEdge.to : null
      // npm's "required": the dependant, and the peers that must come with what it asks for
      const required = new Set<Node>([edge.from])
      const dep = vrDep?.satisfies(edge)
        ? vrDep
        : await this.#nodeFromEdge(edge, edge.peer ? virtualRoot : null, null, required, true)
      tasks.push({ edge, dep })
    }
    tasks.sort((a, b) => this.options.compare(a.edge.name, b.edge.name))
    const placeOptions = {
      preferDedupe: false,
      compare: this.options.compare,
      force: this.options.force,
      strictPeerDeps: this.options.strictPeerDeps,
      onPeerConflict: this.options.onPeerConflict,
      installStrategy: this.options.installStrategy,
    }
    for (const { edge, dep } of tasks) {
      const options = {
        ...placeOptions,
        explicitRequest: this.isExplicit(edge),
        updateNames: this.options.update,
      }
      this.#afterPlace(new PlaceDep(edge, dep, options))
    }
    for (const edge of node.edgesOut.values()) {
      const to = edge.to
      if (to?.linkTarget) this.#links.add(to)
    }
  }

  /**
   * Whether placing for this peer edge keeps coming back: a peer set that only fits by pruning another,
   * which then returns and prunes it. Legitimate re-placements repeat a few times at most.
   */
  #cycling(edge: Edge): boolean {
    const key = `${edge.from.location}\0${edge.from.version}\0${edge.name}\0${edge.spec}`
    const attempts = (this.#peerAttempts.get(key) ?? 0) + 1
    this.#peerAttempts.set(key, attempts)
    return attempts > PEER_ATTEMPTS_LIMIT
  }

  /** Queues what a placement (and its peers' placements) made worth another look. */
  #afterPlace(pd: PlaceDep): void {
    const { placed, canPlace } = pd
    if (placed && canPlace) {
      if (placed.error) this.loadFailures.add(placed)
      const decision = canPlace.canPlaceSelf
      for (const edgeIn of decision === 'OK' || decision === 'REPLACE' ? placed.edgesIn : []) {
        if (edgeIn === pd.edge || edgeIn.valid || edgeIn.peerConflicted) continue
        if (decision === 'OK' && this.#seen.has(edgeIn.from)) continue
        this.#seen.delete(edgeIn.from)
        this.#queue.push(edgeIn.from)
      }
      this.#queue.push(placed)
      if (placed.linkTarget) this.#links.add(placed)
      const { source, optionalPeerSets } = this.options
      if (placed.manifest) source.picked(placed.manifest)
      // discovery for what the placed node will need (a no-op when it is known already); what
      // its tarball ships is not fetched
      const bundled = bundleList(placed.pkg)
      for (const edge of placed.edgesOut.values()) {
        if (bundled.includes(edge.name)) continue
        if (edge.type !== 'peerOptional') source.want(edge.name, edge.spec, 'install')
        else if (optionalPeerSets) source.want(edge.name, edge.spec, 'peers')
      }
      for (const node of pd.needEvaluation) {
        this.#seen.delete(node)
        this.#queue.push(node)
      }
    }
    for (const child of pd.children) this.#afterPlace(child)
  }

  #virtualRoot(node: Node, reuse: boolean): Node {
    const existing = reuse ? this.#virtualRoots.get(node) : undefined
    if (existing) return existing
    const vr = new Node({
      ctx: node.ctx,
      name: node.name,
      pkg: node.pkg,
      sourceReference: node,
      overrides: node.overrides,
    })
    this.#virtualRoots.set(node, vr)
    return vr
  }

  /**
   * A node for `edge` in a virtual root, with its peer set loaded beside it. `required` collects the
   * nodes a conflict may not be ignored for: it grows along non-optional edges from those in it.
   */
  async #nodeFromEdge(
    edge: Edge,
    parentOrNull: Node | null,
    secondEdge: Edge | null,
    required: Set<Node>,
    placing = false,
  ): Promise<Node> {
    const parent = parentOrNull ?? this.#virtualRoot(edge.from, false)
    const first = await this.#nodeFromSpec(edge, parent, edge.name, placing)
    // a broad spec of the dependant (>=1) should not beat a narrower one of the peer (1.x)
    const second =
      secondEdge && !secondEdge.valid ? await this.#nodeFromSpec(secondEdge, parent, edge.name) : null
    const node = second && edge.valid ? second : first
    node.attach(parent)
    if (
      (required.has(edge.from) && edge.type !== 'peerOptional') ||
      (secondEdge && required.has(secondEdge.from) && secondEdge.type !== 'peerOptional')
    ) {
      required.add(node)
    }
    return this.#loadPeerSet(node, required)
  }

  async #nodeFromSpec(edge: Edge, parent: Node, name = edge.name, placing = false): Promise<Node> {
    const node = await this.#load(edge, name, placing)
    node.placedBy = edge
    node.attach(parent)
    return node
  }

  /**
   * A node for `edge` from its packument. `placing`: it is the dependency being placed; otherwise a
   * member of a peer set, which is placed only if a placed node's peer edge needs it (and then its
   * dependencies are asked for by #afterPlace), so discovery fetches only its peers.
   */
  async #load(edge: Edge, name: string, placing: boolean): Promise<Node> {
    const { source, signal } = this.options
    const ctx = edge.from.ctx
    const parsed = edge.parsed
    const fail = (error: Error) =>
      new Node({ ctx, name, pkg: { name: parsed.name }, error, overrides: edge.overrides })
    const copied = parsed.type === 'directory' ? this.#copiedFolder(edge, parsed) : undefined
    if (copied !== undefined) {
      try {
        const manifest = await this.#folderManifest(copied, name)
        const node = new Node({ ctx, name, pkg: manifest, manifest, overrides: edge.overrides })
        node.fromSource = true
        if (placing) source.picked(manifest)
        return node
      } catch (error) {
        signal?.throwIfAborted()
        return fail(localError(error, edge, name))
      }
    }
    if (parsed.type === 'workspace' || parsed.type === 'directory') {
      try {
        const target = await this.#folderFor(edge, parsed)
        if (!target.lockEntry && !target.isWorkspace) target.linkedAs ??= name
        return new Node({ ctx, name, pkg: {}, linkTarget: target })
      } catch (error) {
        signal?.throwIfAborted()
        return fail(localError(error, edge, name))
      }
    }
    if (parsed.type === 'file' || parsed.type === 'remote' || parsed.type === 'git') {
      try {
        const manifest =
          parsed.type === 'git'
            ? await this.#gitManifest(edge, parsed, name)
            : await this.#tarballManifest(edge, parsed, name)
        const node = new Node({ ctx, name, pkg: manifest, manifest, overrides: edge.overrides })
        node.fromSource = true
        if (placing) source.picked(manifest)
        return node
      } catch (error) {
        signal?.throwIfAborted()
        return fail(localError(error, edge, name))
      }
    }
    if (!isRegistrySpec(parsed)) {
      const kind = parsed.kind
      return fail(
        new ToteError(
          'EUNSUPPORTEDSPEC',
          `Unsupported spec for ${name}: "${edge.spec}" (${kind}), wanted by ${chainText(edge)}`,
          {
            hint: 'tote installs registry packages, workspaces, folders and tarballs: use a version range, a dist-tag, an npm: alias, workspace:, file: or a tarball URL.',
            details: { name, spec: edge.spec, kind, chain: chainOf(edge) },
          },
        ),
      )
    }
    source.want(name, edge.spec, placing ? 'install' : 'peers')
    let manifest: PackageManifest | null
    try {
      manifest = await source.pick(parsed)
    } catch (error) {
      signal?.throwIfAborted()
      if (!isToteError(error)) return fail(error instanceof Error ? error : new Error(String(error)))
      return fail(
        new ToteError(error.code, `${error.message} (wanted by ${chainText(edge)})`, {
          hint: error.hint,
          cause: error,
          details: { ...error.details, name: parsed.name, spec: edge.spec, chain: chainOf(edge) },
        }),
      )
    }
    if (!manifest) {
      // Only the packument says no version matches: it is here already.
      const packument = await source.get(parsed.name)
      const nearest = nearestVersions(packument, parsed)
      const tags = Object.entries(packument['dist-tags'] ?? {})
        .map(([tag, version]) => `${tag} ${version}`)
        .join(', ')
      const cutoff = source.cutoffFor(parsed.name)
      const dated = cutoff === undefined ? '' : ` published by ${new Date(cutoff).toISOString()}`
      return fail(
        new ToteError(
          'ETARGET',
          `No matching version${dated} found for ${parsed.name}@${edge.spec}, wanted by ${chainText(edge)}`,
          {
            hint: `Versions near it${dated}: ${nearest.join(', ') || 'none'}${tags ? `; dist-tags: ${tags}` : ''}.${cutoff === undefined ? '' : ' Relax before or min-release-age, or add the package to min-release-age-exclude.'}`,
            details: {
              name: parsed.name,
              spec: edge.spec,
              chain: chainOf(edge),
              nearest,
              distTags: packument['dist-tags'],
            },
          },
        ),
      )
    }
    if (placing) source.picked(manifest)
    return new Node({ ctx, name, pkg: manifest, manifest, overrides: edge.overrides })
  }

  /**
   * npm's crackOpen: a package with bundleDependencies gets the packages its tarball ships, as its
   * children (npm loads the unpacked tarball's node_modules), before its own dependencies are looked
   * at; the bundled ones are then met. Only for packages new to the tree (a lockfile's already lists
   * them), and only with a readTarball dependency.
   */
  async #loadBundle(node: Node): Promise<void> {
    if (node.bundleLoaded) return
    node.bundleLoaded = true
    const manifest = node.manifest
    const readTarball = this.options.readTarball
    if (!manifest || !readTarball || node.isFolder || node.linkTarget || node.error) return
    if (bundleList(node.pkg).length === 0) return
    let bundled = bundledOf.get(manifest)
    if (!bundled) {
      const tarball = manifest.dist?.tarball
      if (!tarball || !/^(?:https?:|file:)/i.test(tarball)) return
      const integrity = manifest.dist.integrity ?? integrityOf(manifest)
      const source: TarballSource = tarball.startsWith('file:')
        ? { type: 'file', path: tarball.slice('file:'.length) }
        : { type: 'remote', url: tarball, ...(integrity ? { integrity } : {}) }
      const signal = this.options.signal
      try {
        bundled = (await readTarball(source, signal ? { signal } : undefined)).bundled ?? {}
      } catch (error) {
        signal?.throwIfAborted()
        const edge = node.placedBy ?? node.edgesIn[0]
        throw edge ? localError(error, edge, node.name) : error
      }
    }
    const folders = Object.keys(bundled).sort(
      (a, b) => a.split('/node_modules/').length - b.split('/node_modules/').length,
    )
    const byFolder = new Map<string, Node>([['', node]])
    for (const folder of folders) {
      const cut = folder.lastIndexOf('node_modules/')
      const parent = byFolder.get(cut === 0 ? '' : folder.slice(0, cut - 1))
      if (!parent) continue
      const name = folder.slice(cut + 'node_modules/'.length)
      const pkg = normalizedPackage(bundled[folder] as Record<string, unknown>)
      const child = new Node({ ctx: node.ctx, name, pkg, fromBundle: true, overrides: node.overrides })
      child.bundleLoaded = true
      child.attach(parent)
      byFolder.set(folder, child)
    }
  }

  /**
   * The manifest of a tarball spec (`file:a.tgz`, a URL), read once per tarball: its package.json
   * as npm normalises it, `dist` its place (`file:<path from the project>`, or the URL, as npm's
   * `resolved`) and integrity.
   */
  #tarballManifest(
    edge: Edge,
    parsed: ParsedSpec & { type: 'file' | 'remote' },
    name: string,
  ): Promise<PackageManifest> {
    const readTarball = this.options.readTarball
    let source: TarballSource
    if (parsed.type === 'file') {
      if (!(edge.from.sourceReference ?? edge.from).isFolder) {
        throw new ToteError('EUNSUPPORTEDSPEC', `Unsupported spec for ${edge.name}: "${edge.spec}" (file)`, {
          hint: 'Only the project, its workspaces and its linked folders may depend on tarballs on disk; a registry package cannot.',
          details: { kind: 'file' },
        })
      }
      const path = localPath(folderOf(edge.from), parsed.path, edge.from.ctx.projectDir)
      if (path === undefined) {
        throw new ToteError('ENOLOCAL', `the tarball ${parsed.path} cannot be found from the project`, {
          hint: 'Use a path relative to the package.json that declares it.',
          details: { path: parsed.path },
        })
      }
      source = { type: 'file', path }
    } else source = { type: 'remote', url: parsed.url }
    const resolved = source.type === 'file' ? `file:${source.path}` : source.url
    let manifest = this.#tarballs.get(resolved)
    if (!manifest) {
      if (!readTarball) {
        throw new ToteError('EUNSUPPORTEDSPEC', `Unsupported spec for ${name}: "${edge.spec}" (tarball)`, {
          hint: 'Resolve with a readTarball dependency (tote install does).',
          details: { kind: parsed.type === 'remote' ? 'tarball' : 'file' },
        })
      }
      const signal = this.options.signal
      manifest = readTarball(source, signal ? { signal } : undefined).then(
        ({ manifest: pkg, integrity, bundled }) => {
          const made = manifestOfTarball(pkg, resolved, integrity, name)
          if (bundled) bundledOf.set(made, bundled)
          return made
        },
      )
      manifest.catch(() => {})
      this.#tarballs.set(resolved, manifest)
    }
    return manifest
  }

  /**
   * The manifest of a git spec, read once per spec: its package.json at the commit the spec names,
   * `dist.tarball` npm's `resolved` (`git+ssh://git@github.com/u/r.git#<commit>`), no integrity.
   */
  #gitManifest(edge: Edge, parsed: ParsedSpec & { type: 'git' }, name: string): Promise<PackageManifest> {
    const { readGit, allowGit } = this.options
    // npm's #checkAllow: before anything is fetched
    const from = edge.from.sourceReference ?? edge.from
    if (allowGit === 'none' || (allowGit === 'root' && !from.isProjectRoot && !from.isWorkspace)) {
      throw new ToteError(
        'EALLOWGIT',
        `Fetching${allowGit === 'root' ? ' non-root' : ''} packages of type "git" have been disabled`,
        {
          hint: `allow-git is ${allowGit}: set it to all (npm's default) to install ${name} from ${edge.spec}.`,
          details: { allowGit, spec: edge.spec },
        },
      )
    }
    if (!readGit) {
      throw new ToteError('EUNSUPPORTEDSPEC', `Unsupported spec for ${name}: "${edge.spec}" (git)`, {
        hint: 'Resolve with a readGit dependency (tote install does).',
        details: { kind: 'git' },
      })
    }
    const { committish, range, base } = parsed.git
    const key = `git\0${base}\0${committish ?? ''}\0${range ?? ''}`
    let manifest = this.#tarballs.get(key)
    if (!manifest) {
      const signal = this.options.signal
      const source = gitSourceOf(parsed.git)
      manifest = readGit(source, signal ? { signal } : undefined).then(({ manifest: pkg, commit }) =>
        manifestOfTarball(pkg, `${base}#${commit}`, '', name),
      )
      manifest.catch(() => {})
      this.#tarballs.set(key, manifest)
    }
    return manifest
  }

  /**
   * npm's install-links: the folder (relative to the project) a `file:` folder spec installs a copy
   * of, or undefined when it is linked: install-links off, a `link:` spec, `file:./…` or `file:../…`
   * inside the project, a workspace (npm links those always), or a spec #folderFor refuses (declared
   * by a package that is not a folder of the project's, or a path it cannot follow).
   */
  #copiedFolder(edge: Edge, parsed: ParsedSpec & { type: 'directory' }): string | undefined {
    const from = edge.from.sourceReference ?? edge.from
    if (!edge.from.ctx.installLinks) return undefined
    // a copied folder's own folder dependencies are copies too, from where it was copied (npm's
    // transitive file: dependencies)
    const transitive = copiedFrom(from) !== undefined
    if (!from.isFolder && !transitive) return undefined
    const path = localPath(folderOf(edge.from), parsed.path, edge.from.ctx.projectDir)
    if (path === undefined || path === '') return undefined
    if (transitive) return path
    if (linkedUnderInstallLinks(parsed, path)) return undefined
    // npm links a dependency named like a workspace, and tote every workspace's folder
    const { workspaces } = this.options.folders
    if (workspaces.has(parsed.name)) return undefined
    for (const workspace of workspaces.values()) if (workspace.location === path) return undefined
    return path
  }

  /**
   * The manifest of a folder installed as a copy (install-links), read once per folder: its
   * package.json as npm normalises it, `dist.tarball` npm's `resolved` (`file:<folder>`), no
   * integrity (npm records none: the folder is packed when it is installed).
   */
  #folderManifest(path: string, name: string): Promise<PackageManifest> {
    const key = `file:${path}`
    let manifest = this.#tarballs.get(key)
    if (!manifest) {
      const { folders } = this.options
      manifest = (async () => {
        if (!folders.readPackage) {
          throw new ToteError(
            'ENOLOCAL',
            `cannot read the folder ${path}: no way to read local folders was given`,
            {
              hint: 'Resolve with a readPackage dependency (tote install does).',
              details: { path },
            },
          )
        }
        const pkg = await folders.readPackage(path)
        if (bundleList(pkg).length > 0) {
          throw new ToteError(
            'EUNSUPPORTED',
            `install-links: the folder ${path} has bundleDependencies, which tote does not pack from a folder yet`,
            {
              hint: 'Turn install-links off for this project (the folder is then linked, as npm does by default), or use npm.',
              details: { key: 'install-links', path },
            },
          )
        }
        return manifestOfTarball(pkg, key, '', name)
      })()
      manifest.catch(() => {})
      this.#tarballs.set(key, manifest)
    }
    return manifest
  }

  /** The folder node a `workspace:` or folder spec links to; a ToteError saying why when there is none. */
  async #folderFor(edge: Edge, parsed: ParsedSpec & { type: 'workspace' | 'directory' }): Promise<Node> {
    const { folders } = this.options
    if (!(edge.from.sourceReference ?? edge.from).isFolder) {
      // a published package's folder spec points into node_modules or nowhere (npm would try, and fail)
      const kind = parsed.type === 'workspace' ? 'workspace' : edge.spec.startsWith('link:') ? 'link' : 'file'
      throw new ToteError('EUNSUPPORTEDSPEC', `Unsupported spec for ${edge.name}: "${edge.spec}" (${kind})`, {
        hint: 'Only the project, its workspaces and its linked folders may depend on folders and workspaces; a registry package cannot.',
        details: { kind },
      })
    }
    if (parsed.type === 'workspace') {
      const target = folders.workspaces.get(parsed.name)
      if (!target) {
        const names = [...folders.workspaces.keys()]
        throw new ToteError('ENOWORKSPACE', `the project has no workspace named ${parsed.name}`, {
          hint: names.length
            ? `Its workspaces are: ${names.join(', ')}. Fix the name, or add the folder to "workspaces" in package.json.`
            : 'Declare the workspaces in the root package.json ("workspaces": ["packages/*"]).',
          details: { workspaces: names },
        })
      }
      if (parsed.range !== '*' && !satisfies(target.version, parsed.range)) {
        throw new ToteError(
          'ETARGET',
          `the workspace ${parsed.name} (${target.location}) is version ${target.version || '(none)'}, not in ${parsed.range}`,
          {
            hint: `Change the range, or the workspace's version in ${target.location}/package.json.`,
            details: { path: target.location, version: target.version },
          },
        )
      }
      return target
    }
    const path = localPath(folderOf(edge.from), parsed.path, edge.from.ctx.projectDir)
    if (path === undefined) {
      throw new ToteError('ENOLOCAL', `the folder ${parsed.path} cannot be found from the project`, {
        hint: 'Use a path relative to the package.json that declares it.',
        details: { path: parsed.path },
      })
    }
    if (path === '') {
      throw new ToteError('ENOLOCAL', 'the folder is the project itself', {
        hint: 'A project cannot depend on its own folder.',
        details: { path },
      })
    }
    return folders.folder(path)
  }

  /** Loads the peers of `node` (and theirs) into its virtual root, preferring the dependant's own specs. */
  async #loadPeerSet(node: Node, required: Set<Node>): Promise<Node> {
    const peerEdges = [...node.edgesOut.values()]
      .filter((e) => e.peer && !(e.valid && e.to))
      .sort((a, b) => this.options.compare(a.name, b.name))
    for (const edge of peerEdges) {
      const parent = node.parent
      if (!parent) break
      if (edge.valid && edge.to) continue
      if (!edge.to && edge.type === 'peerOptional' && !this.options.optionalPeerSets) {
        // npm weighs it (and its peers) here only to find conflicts; a missing optional peer is
        // valid and never placed, so while the tree neither has nor wants the name it is left out
        if (!this.#inPlay(edge.name)) {
          this.#skippedIn(parent).set(edge.name, edge)
          continue
        }
      }
      if (!edge.to && edge.type !== 'peerOptional') {
        // a later member of the set needs a peer skipped as optional: load it as npm had, from the
        // optional edge, then see whether it serves
        const skipped = this.#skippedIn(parent).get(edge.name)
        if (skipped?.from.parent === parent) {
          this.#skippedIn(parent).delete(edge.name)
          await this.#loadPeer(skipped, skipped.from, required)
          if (edge.valid && edge.to) continue
        }
      }
      if ((await this.#loadPeer(edge, node, required)) === 'stop') break
    }
    return node
  }

  /**
   * One peer of `node`'s peer set, into its parent (the virtual root) unless what is there already
   * serves. A conflict stops the build (ERESOLVE) as npm's does: when the set is the project's own or
   * peer deps are strict, unless forced, and only for a peer the dependant cannot do without.
   */
  async #loadPeer(edge: Edge, node: Node, required: Set<Node>): Promise<'stop' | undefined> {
    const parent = node.parent
    if (!parent) return 'stop'
    const parentEdge = parent.edgesOut.get(edge.name)
    const { force, strictPeerDeps } = this.options
    const isMine =
      parent.sourceReference?.isProjectRoot === true || parent.sourceReference?.isWorkspace === true
    const conflictOK = force || (!isMine && !strictPeerDeps)
    const current = edge.to
    if (!current) {
      if (!parentEdge) {
        await this.#nodeFromEdge(edge, parent, null, required)
        return undefined
      }
      // the dependant's own range first, the peer's as a hint (npm's second edge)
      const dep = await this.#nodeFromEdge(parentEdge, parent, edge, required)
      if (edge.valid) return undefined
      if (conflictOK || !required.has(dep)) {
        edge.peerConflicted = true
        return undefined
      }
      // the recursion replaced `node`: nothing left to conflict with
      if (!node.parent) return 'stop'
      throw peerConflictError({ edge, current: edge.to, currentEdge: parentEdge, force, strictPeerDeps })
    }
    const dep = await this.#nodeFromEdge(edge, null, null, required)
    if (dep.canReplace(current)) {
      await this.#nodeFromEdge(edge, parent, null, required)
      return undefined
    }
    // a peer set that may never be placed (its dependant is not required) is let be until it is
    if (conflictOK || !required.has(edge.from)) return undefined
    throw peerConflictError({ edge, current, currentEdge: parentEdge, force, strictPeerDeps })
  }

  /** Optional peers left out of a virtual root's peer set, by name. */
  #skippedIn(virtualRoot: Node): Map<string, Edge> {
    let skipped = this.#skippedPeers.get(virtualRoot)
    if (!skipped) {
      skipped = new Map()
      this.#skippedPeers.set(virtualRoot, skipped)
    }
    return skipped
  }

  /** Whether the tree has a node named `name`, or an edge that will place one (any but an optional peer's). */
  #inPlay(name: string): boolean {
    const { nodesByName, edgesByName } = this.root.inventory
    for (const node of nodesByName.get(name) ?? []) if (node.root === this.root) return true
    if (this.root.edgesOut.has(name)) return true
    for (const edge of edgesByName.get(name) ?? []) {
      if (edge.type !== 'peerOptional' && edge.from.root === this.root) return true
    }
    return false
  }
}

/**
 * A folder's or tarball's failure as a ToteError naming the dependency, its spec and who wanted it
 * (an error of the file system keeps its code: `ENOENT` for a missing tarball).
 */
function localError(error: unknown, edge: Edge, name: string): ToteError {
  const code = isToteError(error)
    ? error.code
    : typeof (error as { code?: unknown })?.code === 'string'
      ? (error as { code: string }).code
      : 'ELOCALSPEC'
  const message = error instanceof Error ? error.message : String(error)
  return new ToteError(code, `${name}@${edge.spec}, wanted by ${chainText(edge)}: ${message}`, {
    hint:
      isToteError(error) && error.hint
        ? error.hint
        : 'Check that the file or folder the spec names is there and readable.',
    cause: error,
    details: { ...(isToteError(error) ? error.details : {}), name, spec: edge.spec, chain: chainOf(edge) },
  })
}

/** Who wanted `edge`: `root`, the packages in between, then `name@spec`. */
export function chainOf(edge: Edge): string[] {
  const chain: string[] = [`${edge.name}@${edge.spec}`]
  let node: Node | undefined = edge.from
  for (let guard = 0; node && guard < 64; guard++) {
    if (node.isTop && node.sourceReference) node = node.sourceReference
    if (node.isProjectRoot) break
    chain.unshift(`${node.packageName}@${node.version}`)
    node = node.placedBy?.from
  }
  chain.unshift('root')
  return chain
}

export function chainText(edge: Edge): string {
  return chainOf(edge).join(' → ')
}
