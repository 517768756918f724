import type { Lockfile, ProjectManifest } from '@tote/types'
import { chainOf, TreeBuilder } from './_build.js'
import { depValid } from './_edge.js'
import { calcDepFlags } from './_flags.js'
import { Folders } from './_folders.js'
import { descendants, isInstallLocation, loadLockedTree, rootMatches, toLockfile } from './_lockfile.js'
import { inflateOldLockfile } from './_old-lockfile.js'
import { OverrideSet, referencedSpec } from './_overrides.js'
import { PackumentSource } from './_source.js'
import { parseSpec } from './_spec.js'
import { Node, type TreeContext } from './_tree.js'
import type {
  ResolveOptions,
  ResolveResult,
  Resolver,
  ResolverDeps,
  ResolverEvent,
  ResolverOptions,
  ResolverWarning,
} from './types.js'

/** A resolver over an injected packument source. */
export function createResolver(deps: ResolverDeps, options: ResolverOptions = {}): Resolver {
  return { resolve: (project, resolveOptions = {}) => resolve(deps, options, project, resolveOptions) }
}

async function resolve(
  deps: ResolverDeps,
  options: ResolverOptions,
  project: ProjectManifest,
  {
    lockfile,
    signal,
    explicit = [],
    update = [],
    workspaces,
    projectDir,
    oldLockfile = false,
  }: ResolveOptions,
): Promise<ResolveResult> {
  signal?.throwIfAborted()
  const compare = new Intl.Collator('en').compare
  const emit = (event: ResolverEvent) => options.onEvent?.(event)
  const ctx: TreeContext = {
    legacyPeerDeps: options.legacyPeerDeps ?? false,
    rootPkg: project,
    projectDir,
    installLinks: options.installLinks ?? false,
  }
  const overrides =
    project.overrides && Object.keys(project.overrides).length > 0
      ? new OverrideSet(project.overrides)
      : undefined
  const root = new Node({ ctx, name: project.name ?? '', pkg: project, isProjectRoot: true, overrides })
  const folders = new Folders(root, deps.readPackage, overrides)
  folders.addWorkspaces(workspaces ?? [])

  const warnings: ResolverWarning[] = []
  const warn = (warning: ResolverWarning) => {
    if (warnings.some((w) => w.message === warning.message)) return
    warnings.push(warning)
    emit({ type: 'warning', ...warning })
  }
  // an npm 6 lockfile: what it lacks comes from the registry first, as npm 7+ fetches it
  const inflated =
    lockfile && oldLockfile ? await inflateOldLockfile(lockfile, deps, signal, warn) : undefined
  const locked = lockfile
    ? loadLockedTree(
        lockfile,
        root,
        ctx,
        overrides,
        folders,
        await lockedFolderPackages(lockfile, folders, deps),
        inflated?.manifests,
      )
    : []
  const start = lockfile ? nodesWithProblems(root) : [root]
  // npm starts from the project for explicit requests, and from every dependant of a node to update
  if (lockfile && explicit.length > 0 && !start.includes(root)) start.push(root)
  if (lockfile && update.length > 0) {
    const names = new Set(update)
    for (const node of descendants(root)) {
      if (!names.has(node.name)) continue
      for (const edge of node.edgesIn) if (!start.includes(edge.from)) start.push(edge.from)
    }
  }
  const upToDate =
    lockfile !== undefined && !oldLockfile && start.length === 0 && rootMatches(lockfile, project)
  if (upToDate && folders.all.size === 0) {
    const packages = Object.keys(lockfile.packages ?? {}).filter((location) => location !== '').length
    return { lockfile, warnings: [], stats: { packuments: 0, packages } }
  }

  const lockedByName = new Map<string, Node[]>()
  for (const node of locked) lockedByName.set(node.name, [...(lockedByName.get(node.name) ?? []), node])
  const source = new PackumentSource({
    deps,
    engines: { nodeVersion: options.nodeVersion ?? process.version, npmVersion: options.npmVersion },
    legacyPeerDeps: ctx.legacyPeerDeps,
    optionalPeerSets: !options.skipAbsentOptionalPeers,
    signal,
    emit,
    overrideSpecs: overrideSpecs(overrides, project),
    concurrency: options.concurrency ?? 128,
    cutoffFor: cutoffOf(options),
    alreadyServed: (name, spec) =>
      (lockedByName.get(name) ?? []).some((node) => depValid(node, parseSpec(name, spec))),
  })
  const builder = new TreeBuilder(root, {
    source,
    compare,
    signal,
    optionalPeerSets: !options.skipAbsentOptionalPeers,
    force: options.force ?? false,
    strictPeerDeps: options.strictPeerDeps ?? false,
    explicit: new Set(explicit),
    update: new Set(update),
    onPeerConflict: (edge) => {
      edge.peerConflicted = true
    },
    folders,
    readTarball: deps.readTarball?.bind(deps),
    readGit: deps.readGit?.bind(deps),
    allowGit: options.allowGit ?? 'all',
    installStrategy: options.installStrategy ?? 'hoisted',
  })
  // discovery starts from every edge that needs work, before placement asks for anything
  for (const node of start) {
    for (const edge of builder.problemEdges(node)) source.want(edge.name, edge.spec, 'install', true)
  }
  try {
    await builder.build(start)
  } finally {
    source.stop()
  }

  calcDepFlags(root, descendants(root))
  // npm keeps what a fresh build left unreachable (a node only an optional peer edge reaches, which
  // it flags extraneous); it prunes only a tree that came from a lockfile
  const keep = lockfile ? new Set<Node>() : new Set(descendants(root).filter((node) => node.extraneous))
  for (const failed of builder.loadFailures) {
    if (failed.root !== root) continue
    const error = failed.error ?? new Error(`could not load ${failed.name}`)
    if (!failed.optional) throw error
    const chain = failed.placedBy ? chainOf(failed.placedBy) : ['root', failed.name]
    warn({ code: 'EOPTIONALFAILED', message: `Skipped optional dependency: ${error.message}`, chain })
    failed.detach()
  }
  pruneExtraneous(root, keep)
  peerWarnings(root, warn)

  const result = toLockfile(
    root,
    project,
    { omitRegistryResolved: options.omitLockfileRegistryResolved ?? false, registryFor: options.registryFor },
    compare,
  )
  const packages = Object.keys(result.packages).length - 1
  // with folders, whether the lockfile is up to date shows only once their entries are made again
  if (upToDate && warnings.length === 0 && sameJson(result, lockfile)) {
    return { lockfile, warnings, stats: { packuments: 0, packages } }
  }
  return {
    lockfile: result,
    warnings,
    stats: { packuments: source.requested + (inflated?.documents ?? 0), packages },
  }
}

/**
 * The package.json of each folder a lockfile has an entry for (a `file:` link's target) that is not a
 * workspace, read again as npm does: the user may have changed it. One that cannot be read keeps its
 * entry (npm's too).
 */
async function lockedFolderPackages(
  lockfile: Lockfile,
  folders: Folders,
  deps: ResolverDeps,
): Promise<Map<string, ProjectManifest>> {
  const result = new Map<string, ProjectManifest>()
  const readPackage = deps.readPackage
  if (!readPackage) return result
  const paths = Object.keys(lockfile.packages ?? {}).filter(
    (location) => location !== '' && !isInstallLocation(location) && !folders.known(location),
  )
  await Promise.all(
    paths.map(async (path) => {
      try {
        result.set(path, await readPackage.call(deps, path))
      } catch {}
    }),
  )
  return result
}

/** Deep equality of two JSON values, key order aside. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const aKeys = Object.keys(a)
  if (aKeys.length !== Object.keys(b).length) return false
  return aKeys.every(
    (key) =>
      Object.hasOwn(b, key) &&
      sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  )
}

/** Nodes reachable from the root that have a missing or invalid dependency (npm's initial queue). */
function nodesWithProblems(root: Node): Node[] {
  const result: Node[] = []
  const seen = new Set<Node>([root])
  const queue = [root]
  for (let node = queue.shift(); node; node = queue.shift()) {
    const target = node.linkTarget ?? node
    let problem = false
    for (const edge of target.edgesOut.values()) {
      const to = edge.to
      if ((!to && edge.type !== 'peerOptional') || (to && !edge.valid)) problem = true
      if (to && !seen.has(to)) {
        seen.add(to)
        queue.push(to)
      }
    }
    if (problem) result.push(node)
  }
  return result
}

/** Removes nodes nothing reaches (left over by replacements or a removed dependency), then sets flags. */
function pruneExtraneous(root: Node, keep: Set<Node>): void {
  for (;;) {
    const nodes = descendants(root)
    calcDepFlags(root, nodes)
    const extraneous = nodes.filter((node) => node.extraneous && node.root === root && !keep.has(node))
    if (extraneous.length === 0) return
    for (const node of extraneous) node.detach()
  }
}

/** A warning for every peer dependency the final tree does not meet. */
function peerWarnings(root: Node, warn: (warning: ResolverWarning) => void): void {
  for (const node of [root, ...descendants(root)]) {
    for (const edge of node.edgesOut.values()) {
      if (!edge.peer || edge.valid) continue
      const to = edge.to
      const from = node.isProjectRoot ? 'the project' : `${node.packageName}@${node.version}`
      const found = to ? `${to.packageName}@${to.version} is installed instead` : 'it is not installed'
      warn({
        code: 'EPEERCONFLICT',
        message: `${from} wants peer ${edge.name}@${edge.spec}, but ${found}`,
        chain: chainOf(edge),
      })
    }
  }
}

/** Specs the overrides may ask for, by name, so that discovery fetches for them too. */
function overrideSpecs(
  overrides: OverrideSet | undefined,
  project: ProjectManifest,
): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>()
  for (const rule of overrides?.allRules() ?? []) {
    if (!rule.name || !rule.value || rule.value === '*') continue
    const spec = rule.value.startsWith('$') ? referencedSpec(project, rule.value.slice(1)) : rule.value
    if (!spec) continue
    const set = map.get(rule.name) ?? new Set<string>()
    set.add(spec)
    map.set(rule.name, set)
  }
  return map
}

/** npm's `before` for each package: none for a name `releaseAgeExclude` matches (a name, or a glob with `*`). */
function cutoffOf(options: ResolverOptions): (name: string) => number | undefined {
  const before = options.before === undefined ? undefined : Number(options.before)
  if (before === undefined || Number.isNaN(before)) return () => undefined
  const patterns = (options.releaseAgeExclude ?? []).map(
    (glob) => new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*+/g, '[^/]*')}$`),
  )
  return (name) => (patterns.some((pattern) => pattern.test(name)) ? undefined : before)
}
