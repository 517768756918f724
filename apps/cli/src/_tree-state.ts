import { lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ToteConfig } from '@tote/config'
import { readLockfile } from '@tote/lockfile'
import type { ScheduledPackage } from '@tote/scheduler'
import { type Lockfile, ToteError } from '@tote/types'
import {
  type InstallPlan,
  nameOfPath,
  type PlannedLink,
  planInstall,
  platformOf,
  type WorkspaceFilter,
} from './_plan.js'

// What an install may trust of an existing node_modules. The hidden lockfile (npm's
// node_modules/.package-lock.json) says what is installed, but only once an install has finished:
// before an install changes anything it writes a marker naming what it will touch, and removes it
// after the hidden lockfile is written. A later run trusts nothing the marker names.

/** The in-progress marker, inside node_modules. */
export const IN_PROGRESS = '.tote-install-in-progress'
export const HIDDEN_LOCKFILE = '.package-lock.json'

interface Marker {
  pid: number
  /** Install paths this run may change or remove; `all` when it trusted nothing to begin with. */
  touched: string[] | 'all'
}

/** The ancestors' install paths of one (`node_modules/a/node_modules/b` → `node_modules/a`). */
export function ancestorsOf(path: string): string[] {
  const result: string[] = []
  for (
    let cut = path.lastIndexOf('/node_modules/');
    cut > 0;
    cut = path.lastIndexOf('/node_modules/', cut - 1)
  ) {
    result.push(path.slice(0, cut))
  }
  return result
}

/**
 * The hidden lockfile minus what an interrupted install may have touched; undefined when nothing
 * can be trusted (no hidden lockfile, a damaged one, or a marker that cannot be read).
 */
export async function readTrustedTree(nodeModules: string): Promise<Lockfile | undefined> {
  let hidden: Lockfile | undefined
  try {
    hidden = await readLockfile(join(nodeModules, HIDDEN_LOCKFILE))
  } catch (error) {
    // A damaged hidden lockfile only costs a full re-place; it is rewritten at the end.
    if (error instanceof ToteError) return undefined
    throw error
  }
  if (hidden === undefined) return undefined
  let text: string
  try {
    text = readFileSync(join(nodeModules, IN_PROGRESS), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return hidden
    return undefined
  }
  let marker: Marker
  try {
    marker = JSON.parse(text) as Marker
  } catch {
    return undefined // cut short while it was written: the run touched little, but trust nothing
  }
  if (!Array.isArray(marker.touched)) return undefined
  const touched = new Set(marker.touched)
  const packages: Lockfile['packages'] = {}
  for (const [path, entry] of Object.entries(hidden.packages)) {
    if (touched.has(path) || ancestorsOf(path).some((ancestor) => touched.has(ancestor))) continue
    packages[path] = entry
  }
  return { ...hidden, packages }
}

/** True when `path` is a real folder (not a file, not a symlink that could lead elsewhere). */
export function isRealFolder(path: string): boolean {
  try {
    return lstatSync(path).isDirectory()
  } catch {
    return false
  }
}

/**
 * Marks node_modules as being changed, before anything in it is. Written in place: a marker cut
 * short by a crash fails to parse, and then nothing is trusted, which is safe.
 */
export function markInProgress(nodeModules: string, touched: string[] | 'all'): void {
  mkdirSync(nodeModules, { recursive: true })
  const marker: Marker = { pid: process.pid, touched }
  writeFileSync(join(nodeModules, IN_PROGRESS), `${JSON.stringify(marker)}\n`)
}

/** The install finished and the hidden lockfile says what is there: the marker goes. */
export function markDone(nodeModules: string): void {
  rmSync(join(nodeModules, IN_PROGRESS), { force: true })
}

/** How node_modules compares with what a lockfile asks for. */
export interface TreeChanges {
  plan: InstallPlan
  /** What the tree is trusted to hold (see readTrustedTree); undefined: nothing. */
  previous: Lockfile | undefined
  /** Packages to place, shallowest first. */
  toPlace: ScheduledPackage[]
  /** Install paths whose folder stays as it is. */
  keptPaths: Set<string>
  /** Install paths of toPlace that held another version. */
  changedPaths: Set<string>
  /** Links that are missing or lead elsewhere. */
  toLink: PlannedLink[]
  /**
   * Paths the tree keeps that this install neither places nor counts: links already right, the
   * project's folders, and (with a workspace filter) packages outside it that are installed as the
   * lockfile says.
   */
  alsoKept: Set<string>
}

/** What installing `lockfile` into the project would place, keep and change. Changes nothing. */
export async function compareWithTree(
  projectDir: string,
  lockfile: Lockfile,
  config: Pick<ToteConfig, 'omit' | 'registryFor' | 'get'>,
  options: {
    fresh?: boolean
    filter?: WorkspaceFilter | undefined
    /** A package that is placed again though the tree has it as the lockfile says (a git dependency to prepare now). */
    placeAgain?: ((pkg: ScheduledPackage) => boolean) | undefined
    /** The plan of `lockfile` with this config and filter, made already (not made again). */
    plan?: InstallPlan | undefined
  } = {},
): Promise<TreeChanges> {
  const plan =
    options.plan ??
    planInstall(lockfile, {
      projectDir,
      omit: config.omit,
      registryFor: config.registryFor,
      platform: platformOf(config),
      allowGit: config.get('allow-git'),
      filter: options.filter,
    })
  const nodeModules = join(projectDir, 'node_modules')
  const previous = options.fresh ? undefined : await readTrustedTree(nodeModules)
  const toPlace: ScheduledPackage[] = []
  const placing = new Set<string>()
  const keptPaths = new Set<string>()
  const changedPaths = new Set<string>()
  for (const pkg of plan.packages) {
    const old = previous?.packages[pkg.path]
    const unchanged =
      old !== undefined &&
      old.version === pkg.version &&
      // a git commit has no integrity: the same commit then; an install-links folder copy neither:
      // the same folder (npm does not copy it again while its version stays)
      (pkg.integrity
        ? old.integrity === pkg.integrity
        : old.integrity === undefined &&
          old.resolved === (lockfile.packages[pkg.path]?.resolved ?? pkg.tarballUrl)) &&
      (old.name ?? nameOfPath(pkg.path)) === pkg.name &&
      // Placing a package empties its folder, nested packages included: those are placed again.
      !ancestorsOf(pkg.path).some((ancestor) => placing.has(ancestor)) &&
      isRealFolder(pkg.destDir) &&
      !options.placeAgain?.(pkg)
    if (unchanged) keptPaths.add(pkg.path)
    else {
      toPlace.push(pkg)
      placing.add(pkg.path)
      if (old !== undefined && old.version !== pkg.version) changedPaths.add(pkg.path)
    }
  }
  const toLink: PlannedLink[] = []
  const alsoKept = new Set<string>()
  for (const link of plan.links) {
    if (linkText(link.destDir) === link.linkText && previous?.packages[link.path]?.link === true) {
      alsoKept.add(link.path)
    } else toLink.push(link)
  }
  // bundled packages come and go with their bundler
  for (const path of plan.bundled) alsoKept.add(path)
  // the folders the links lead to are installed with them (npm's hidden lockfile lists them)
  for (const link of plan.links) if (lockfile.packages[link.target]) alsoKept.add(link.target)
  // outside a workspace filter, what is installed as the lockfile says stays installed
  for (const { path, reason } of plan.skipped) {
    if (reason !== 'filtered') continue
    const old = previous?.packages[path]
    const entry = lockfile.packages[path]
    if (!old || !entry) continue
    const same = entry.link
      ? old.link === true && old.resolved === entry.resolved && linkText(join(projectDir, path)) !== undefined
      : old.version === entry.version &&
        old.integrity === entry.integrity &&
        isRealFolder(join(projectDir, path))
    if (!same) continue
    alsoKept.add(path)
    if (entry.link && typeof entry.resolved === 'string' && lockfile.packages[entry.resolved]) {
      alsoKept.add(entry.resolved)
    }
  }
  return { plan, previous, toPlace, keptPaths, changedPaths, toLink, alsoKept }
}

/** What the symlink at `path` holds; undefined when it is not a symlink. */
function linkText(path: string): string | undefined {
  try {
    return readlinkSync(path)
  } catch {
    return undefined
  }
}
