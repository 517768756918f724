import { readFileSync, realpathSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { lockedWorkspacePaths } from '@tote/lockfile'
import type { ScheduledPackage } from '@tote/scheduler'
import {
  type Lockfile,
  type LockfilePackage,
  lockfileKeyProblem,
  type OmitType,
  ToteError,
} from '@tote/types'
import { isGitResolved } from './_git.js'

/** The platform optional dependencies are matched against. */
export interface Platform {
  os: string
  cpu: string
  /** `glibc` or `musl` on Linux; undefined elsewhere. */
  libc: string | undefined
}

/** Which part of a project with workspaces to install (npm's `-w`, `--workspaces`, `--include-workspace-root`). */
export interface WorkspaceFilter {
  /** The chosen workspaces' folders, relative to the project (`packages/a`). */
  workspaces: readonly string[]
  /** The project's own dependencies too. */
  root: boolean
}

export interface PlanOptions {
  projectDir: string
  omit: readonly OmitType[]
  registryFor(name: string): string
  platform?: Platform
  /** Only these workspaces (and what they need), as npm installs with `-w`; undefined: everything. */
  filter?: WorkspaceFilter | undefined
  /** npm's allow-git (`all` when undefined): `none` refuses git entries, `root` those the project's own folders do not declare. */
  allowGit?: unknown
}

/** A symlink to place: a workspace's or a `file:` folder's link (`node_modules/a` → `packages/a`). */
export interface PlannedLink {
  /** Install path of the link (`node_modules/a`), inside the project. */
  path: string
  /** The folder it points to, relative to the project, as the lockfile's `resolved` (`packages/a`, `../lib`). */
  target: string
  /** Absolute path of the link, proven inside the project. */
  destDir: string
  /** What the symlink holds: the folder, relative to the link's folder (`../packages/a`). */
  linkText: string
  /** The folder is inside the project (its bins may be linked; `../lib`'s are not: tote writes nothing outside). */
  inside: boolean
  name: string
  version?: string | undefined
  bin?: Record<string, string> | undefined
}

/** What an install will put on disk, and what it leaves out. */
export interface InstallPlan {
  packages: ScheduledPackage[]
  /**
   * Install paths of packages a dependency's tarball ships (npm's `inBundle` under a package with
   * `bundleDependencies`): placed with their bundler, never fetched on their own.
   */
  bundled: string[]
  /** Links to the project's folders (workspaces, `file:` folders). */
  links: PlannedLink[]
  /**
   * Entries left out, with why: `--omit`, an optional package for another platform, anything under
   * a link (a link has no node_modules of its own), a dependency of a linked folder outside the
   * project or of a folder that leads outside it (`outside`: tote writes only inside it), a package
   * only those need (`unreachable`), or one outside the workspaces chosen with `-w` (`filtered`).
   */
  skipped: {
    path: string
    reason: 'omit' | 'platform' | 'link' | 'outside' | 'unreachable' | 'filtered'
  }[]
  /** Install paths of the packages that are optional: a failure to install one is a warning. */
  optional: Set<string>
}

export function currentPlatform(): Platform {
  return {
    os: process.platform,
    cpu: process.arch,
    libc: process.platform === 'linux' ? linuxLibc() : undefined,
  }
}

/** The platform optional packages are chosen for: this machine's, or npm's --os, --cpu and --libc. */
export function platformOf(config: { get(key: string): unknown }): Platform {
  const here = currentPlatform()
  const chosen = (key: string, fallback: string | undefined) => {
    const value = config.get(key)
    return typeof value === 'string' && value !== '' ? value : fallback
  }
  return { os: chosen('os', here.os)!, cpu: chosen('cpu', here.cpu)!, libc: chosen('libc', here.libc) }
}

/**
 * glibc or musl. The system's ldd script names its C library, and reading it is far cheaper than
 * Node's diagnostic report (80 ms here); the report is the fallback.
 */
function linuxLibc(): string {
  try {
    const ldd = readFileSync('/usr/bin/ldd', 'latin1')
    if (ldd.includes('musl')) return 'musl'
    if (ldd.includes('GNU C Library') || ldd.includes('GLIBC')) return 'glibc'
  } catch {}
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)
    ?.header
  return header?.glibcVersionRuntime ? 'glibc' : 'musl'
}

/** npm's os/cpu/libc rule: a value matches when it is listed (or nothing positive is) and not negated with `!`. */
export function platformMatches(list: readonly string[] | undefined, value: string | undefined): boolean {
  if (!list || list.length === 0) return true
  if (value === undefined) return !list.some((item) => !item.startsWith('!'))
  if (list.includes(`!${value}`)) return false
  const positives = list.filter((item) => !item.startsWith('!'))
  return positives.length === 0 || positives.includes(value)
}

/** The package name of an install path (`node_modules/a/node_modules/@s/b` → `@s/b`). */
export function nameOfPath(path: string): string {
  return path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)
}

function isOmitted(entry: LockfilePackage, omit: ReadonlySet<OmitType>): boolean {
  if (entry.dev && omit.has('dev')) return true
  if (entry.optional && omit.has('optional')) return true
  if (entry.devOptional && omit.has('dev') && omit.has('optional')) return true
  return entry.peer === true && omit.has('peer')
}

/** The folder above `base` that Node looks in next: `node_modules/a/node_modules/b` → `node_modules/a`, `packages/a` → `packages`. */
function parentFolder(base: string): string {
  const nested = /^(.*)\/node_modules\/(?:@[^/]+\/)?[^/]+$/.exec(base)
  if (nested) return nested[1]!
  if (/^node_modules\/(?:@[^/]+\/)?[^/]+$/.test(base)) return ''
  return base.includes('/') ? base.slice(0, base.lastIndexOf('/')) : ''
}

/** Where `name` resolves from the package or folder at `from`, as Node looks it up (nearest node_modules up). */
function resolveInLockfile(packages: Lockfile['packages'], from: string, name: string): string | undefined {
  for (let base = from; ; base = parentFolder(base)) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`
    if (packages[candidate]) return candidate
    if (base === '') return undefined
  }
}

/** A lockfile key outside any node_modules: the project's own folder (a workspace, a `file:` folder). */
function isFolderKey(path: string): boolean {
  return path !== '' && !path.startsWith('node_modules/') && !path.includes('/node_modules/')
}

/**
 * The install paths reachable from where the install starts without going through a skipped
 * package: what npm installs. It starts from the project's dependencies and its workspaces (with a
 * filter, from the chosen workspaces, and the project's dependencies only with `root`); a link
 * leads on to its folder's dependencies (those of folders outside the project are left alone, as
 * npm does). A package only needed by another platform's optional binary (hoisted next to it rather
 * than nested) is left out with it.
 */
function reachable(
  lockfile: Lockfile,
  isSkipped: (path: string) => boolean,
  omitDev: boolean,
  filter: WorkspaceFilter | undefined,
): Set<string> {
  const { packages } = lockfile
  const seen = new Set<string>()
  const queue: [string, Record<string, string> | undefined][] = []
  const enterFolder = (folder: string) => {
    if (seen.has(folder)) return
    seen.add(folder)
    const entry = packages[folder] ?? {}
    queue.push(
      [folder, entry.dependencies],
      [folder, entry.optionalDependencies],
      [folder, entry.peerDependencies],
      [folder, omitDev ? undefined : entry.devDependencies],
    )
  }
  const workspaces = lockedWorkspacePaths(lockfile)
  const starts = filter ? filter.workspaces : workspaces
  if (!filter || filter.root) enterFolder('')
  else seen.add('')
  for (const folder of starts) {
    enterFolder(folder)
    // the project's link to it goes with it (npm's filter takes the root's edge to the workspace)
    for (const [path, entry] of Object.entries(packages)) {
      if (entry.link && entry.resolved === folder && /^node_modules\/(?:@[^/]+\/)?[^/]+$/.test(path))
        seen.add(path)
    }
  }
  while (queue.length > 0) {
    const [from, deps] = queue.pop()!
    for (const name of Object.keys(deps ?? {})) {
      const path = resolveInLockfile(packages, from, name)
      if (path === undefined || seen.has(path) || isSkipped(path)) continue
      seen.add(path)
      const entry = packages[path]!
      if (entry.link) {
        const target = entry.resolved
        if (typeof target === 'string' && packages[target] && !target.startsWith('../')) enterFolder(target)
        continue
      }
      queue.push(
        [path, entry.dependencies],
        [path, entry.optionalDependencies],
        [path, entry.peerDependencies],
      )
    }
  }
  return seen
}

/**
 * Whether the folder at `folder` (relative to the project) really is inside it, symlinks followed,
 * and so is its node_modules when there is one: packages are written there.
 */
export function folderInside(projectDir: string, folder: string, cache?: Map<string, boolean>): boolean {
  let inside = cache?.get(folder)
  if (inside === undefined) {
    try {
      const root = realpathSync(projectDir)
      const real = realpathSync(join(projectDir, folder))
      let modules: string | undefined
      try {
        modules = realpathSync(join(projectDir, folder, 'node_modules'))
      } catch {}
      inside =
        real.startsWith(root + sep) && (modules === undefined || modules === join(real, 'node_modules'))
    } catch {
      inside = false
    }
    cache?.set(folder, inside)
  }
  return inside
}

/**
 * Turns a lockfile into the packages to place and the links to make: every entry but the project
 * and its own folders, minus `--omit` types, optional packages built for another platform, and
 * whatever only those need (nested under them or hoisted beside them), as npm decides; with a
 * workspace filter, only what the chosen workspaces need.
 */
export function planInstall(lockfile: Lockfile, options: PlanOptions): InstallPlan {
  const platform = options.platform ?? currentPlatform()
  const omit = new Set(options.omit)
  const plan: InstallPlan = { packages: [], bundled: [], links: [], skipped: [], optional: new Set() }
  const root = join(options.projectDir, sep)
  const skippedPaths = new Set<string>()
  /** Skipped packages and links: nothing nested under them is placed. */
  const closed = new Set<string>()
  /**
   * Whether a package `path` is nested under (at any depth) was skipped or is a link: one look-up per
   * ancestor (a valid key has only `node_modules/<name>` below its folder, so these are all of them).
   */
  const underClosed = (path: string) => {
    if (closed.size === 0) return false
    for (
      let cut = path.lastIndexOf('/node_modules/');
      cut > 0;
      cut = path.lastIndexOf('/node_modules/', cut - 1)
    ) {
      if (closed.has(path.slice(0, cut))) return true
    }
    return false
  }
  const linkEntries = new Map<string, LockfilePackage>()
  const folders = new Map<string, boolean>()
  // Sorted so that a parent is seen before what is nested under it.
  for (const path of Object.keys(lockfile.packages).sort()) {
    const entry = lockfile.packages[path]!
    if (path === '' || !path.includes('node_modules/')) continue
    if (underClosed(path)) continue
    // A lockfile read from disk was checked when parsed; one made in memory is checked here.
    const problem = lockfileKeyProblem(path)
    if (problem !== undefined) {
      throw new ToteError(
        'ELOCKFILE',
        `package-lock.json: ${JSON.stringify(path)} is not a valid install path: ${problem}`,
        {
          hint: 'Restore package-lock.json from version control, or delete it and run `tote install`.',
          details: { path },
        },
      )
    }
    const skip = (reason: InstallPlan['skipped'][number]['reason']) => {
      plan.skipped.push({ path, reason })
      closed.add(path)
      skippedPaths.add(path)
    }
    // The key is valid (checked above): it stays inside the project unless it starts with `../`.
    if (path.startsWith('../')) {
      skip('outside')
      continue
    }
    if (entry.link) {
      // nothing is ever placed under a link: it would be written into the linked folder
      closed.add(path)
      linkEntries.set(path, entry)
      continue
    }
    const folder = path.startsWith('node_modules/') ? '' : path.slice(0, path.indexOf('/node_modules/'))
    if (folder !== '' && !folderInside(options.projectDir, folder, folders)) {
      throw new ToteError(
        'EOUTSIDEPROJECT',
        `${folder} (where package-lock.json puts ${path}) is missing or leads outside the project (a symlink); tote writes nothing outside the project`,
        {
          hint: `Make ${folder} a real folder inside the project (not a symlink, nor one holding a symlinked node_modules), or install this project with npm.`,
          details: { path, folder },
        },
      )
    }
    if (isOmitted(entry, omit)) {
      skip('omit')
      continue
    }
    if (entry.inBundle === true && bundledByAncestor(lockfile, path)) {
      plan.bundled.push(path)
      continue
    }
    const name = entry.name ?? nameOfPath(path)
    const fits =
      platformMatches(entry.os, platform.os) &&
      platformMatches(entry.cpu, platform.cpu) &&
      platformMatches(entry.libc, platform.libc)
    const optional = entry.optional === true || entry.devOptional === true
    if (!fits) {
      if (optional) {
        skip('platform')
        continue
      }
      throw new ToteError(
        'EBADPLATFORM',
        `${name}@${entry.version} is not for this platform (${platform.os} ${platform.cpu}${platform.libc ? ` ${platform.libc}` : ''}); it wants os ${JSON.stringify(entry.os ?? [])}, cpu ${JSON.stringify(entry.cpu ?? [])}${entry.libc ? `, libc ${JSON.stringify(entry.libc)}` : ''}`,
        {
          hint: 'Only optional dependencies may be for other platforms; check who depends on it.',
          details: { path },
        },
      )
    }
    if (!entry.version) {
      throw new ToteError('ELOCKFILE', `package-lock.json: ${path} has no version`, {
        hint: 'Delete the entry (or the lockfile) and run `tote install` to resolve it again.',
        details: { path },
      })
    }
    if (optional) plan.optional.add(path)
    if (entry.resolved !== undefined && isGitResolved(entry.resolved))
      checkAllowGit(lockfile, path, name, options.allowGit)
    plan.packages.push({
      path,
      name,
      version: entry.version,
      integrity: entry.integrity ?? '',
      tarballUrl:
        entry.resolved === undefined
          ? registryTarballUrl(options.registryFor(name), name, entry.version)
          : tarballUrlOf(options.projectDir, path, entry.resolved),
      hasInstallScript: entry.hasInstallScript === true,
      ...(entry.bin ? { bin: entry.bin } : {}),
      destDir: destinationOf(root, path),
    })
  }
  const isSkipped = (path: string) => skippedPaths.has(path) || underClosed(path)
  const wanted =
    skippedPaths.size === 0 && linkEntries.size === 0 && !options.filter
      ? undefined
      : reachable(lockfile, isSkipped, omit.has('dev'), options.filter)
  const notWanted = options.filter ? 'filtered' : 'unreachable'
  if (wanted) plan.bundled = plan.bundled.filter((path) => wanted.has(path))
  for (const [path, entry] of linkEntries) {
    if (wanted && !wanted.has(path)) {
      plan.skipped.push({ path, reason: notWanted })
      continue
    }
    plan.links.push(linkOf(lockfile, options.projectDir, path, entry))
  }
  if (!wanted) return plan
  const kept: ScheduledPackage[] = []
  for (const pkg of plan.packages) {
    if (wanted.has(pkg.path)) kept.push(pkg)
    else {
      plan.skipped.push({ path: pkg.path, reason: notWanted })
      plan.optional.delete(pkg.path)
    }
  }
  plan.packages = kept
  return plan
}

/**
 * Whether a package of the lockfile sits inside another (`node_modules/a/node_modules/b`) that has
 * `bundleDependencies`: then an `inBundle` entry is in that package's tarball. (The project's own
 * bundled dependencies are `inBundle` too, but come from the registry like any other.)
 */
function bundledByAncestor(lockfile: Lockfile, path: string): boolean {
  for (
    let cut = path.lastIndexOf('/node_modules/');
    cut > 0;
    cut = path.lastIndexOf('/node_modules/', cut - 1)
  ) {
    const ancestor = path.slice(0, cut)
    if (!ancestor.includes('node_modules/')) return false
    const bundle = lockfile.packages[ancestor]?.bundleDependencies
    if (bundle === true || (Array.isArray(bundle) && bundle.length > 0)) return true
  }
  return false
}

/** npm's allow-git for a git entry of the lockfile: EALLOWGIT where it forbids it. */
function checkAllowGit(lockfile: Lockfile, path: string, name: string, allowGit: unknown): void {
  if (allowGit === undefined || allowGit === 'all') return
  if (allowGit === 'root') {
    // declared by the project or a workspace, and installed at its top
    const declaredBy = (folder: string) => {
      const entry = lockfile.packages[folder]
      return [
        entry?.dependencies,
        entry?.devDependencies,
        entry?.optionalDependencies,
        entry?.peerDependencies,
      ].some((map) => map !== undefined && Object.hasOwn(map, name))
    }
    const folder = path.slice(0, path.lastIndexOf('node_modules/')).replace(/\/$/, '')
    if (!folder.includes('node_modules') && declaredBy(folder)) return
  }
  throw new ToteError(
    'EALLOWGIT',
    `Fetching${allowGit === 'root' ? ' non-root' : ''} packages of type "git" have been disabled (${path})`,
    {
      hint: `allow-git is ${String(allowGit)}: set it to all (npm's default) to install ${name} from git.`,
      details: { path, allowGit },
    },
  )
}

/** The link a lockfile's link entry asks for; its folder must have an entry (npm: EMISSINGTARGET). */
function linkOf(lockfile: Lockfile, projectDir: string, path: string, entry: LockfilePackage): PlannedLink {
  const target = entry.resolved
  const fail = (why: string): never => {
    throw new ToteError('ELOCKFILE', `package-lock.json: the link ${path} ${why}`, {
      hint: 'Restore package-lock.json from version control, or delete it and run `tote install`.',
      details: { path, resolved: target },
    })
  }
  if (typeof target !== 'string' || target === '') return fail('does not say where it leads')
  const problem = lockfileKeyProblem(target)
  if (problem !== undefined || !isFolderKey(target)) {
    return fail(`leads to ${JSON.stringify(target)}, which is not a folder of the project or beside it`)
  }
  const folder = lockfile.packages[target]
  if (!folder) return fail(`leads to ${target}, which has no entry of its own`)
  const destDir = destinationOf(join(projectDir, sep), path)
  return {
    path,
    target,
    destDir,
    linkText: relative(dirname(destDir), join(projectDir, target)),
    inside: !target.startsWith('../'),
    name: nameOfPath(path),
    version: folder.version,
    bin: folder.bin,
  }
}

/** Where a registry serves a version's tarball: `<registry><name>/-/<unscoped name>-<version>.tgz`. */
export function registryTarballUrl(registry: string, name: string, version: string): string {
  const base = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name
  return `${registry}${name}/-/${base}-${version}.tgz`
}

/**
 * The folder an install path names, proven to be inside the project's tree before anything uses it:
 * below `root` (the project's folder, ending with a separator) once normalised, and in a node_modules.
 */
function destinationOf(root: string, path: string): string {
  const destDir = join(root, path)
  if (
    !destDir.startsWith(root) ||
    destDir.length === root.length ||
    !destDir.slice(root.length).includes('node_modules')
  ) {
    throw new ToteError('ELOCKFILE', `package-lock.json: ${JSON.stringify(path)} leads outside the project`, {
      hint: 'Restore package-lock.json from version control, or delete it and run `tote install`.',
      details: { path },
    })
  }
  return destDir
}

/**
 * A `resolved` that tote can fetch: an http(s) URL, or a `file:` tarball or folder (relative to the
 * project, as npm records it; a folder is an install-links copy), as a `file:` URL the install's
 * downloader reads (a folder: packs), or a git commit
 * (`git+…#<commit>`). Other sources are named in the error.
 */
function tarballUrlOf(projectDir: string, path: string, resolved: string): string {
  if (/^file:/i.test(resolved)) {
    const file = resolved.slice('file:'.length).replace(/^\/\/(?=\/)/, '')
    // a tarball, or (install-links) a folder the downloader packs as npm pack does
    if (file !== '') return pathToFileURL(isAbsolute(file) ? file : join(projectDir, file)).href
  }
  // git: packed from the commit by the install's downloader
  if (/^(?:git\+(?:https?|ssh|file):\/\/|git:\/\/)[^#]+#[0-9a-f]{40}$/i.test(resolved)) return resolved
  let url: URL | undefined
  try {
    url = new URL(resolved)
  } catch {}
  if (url?.protocol === 'https:' || url?.protocol === 'http:') return resolved
  if (url !== undefined || /^(?:git\+|github:|gitlab:|bitbucket:|file:|link:|\.{0,2}\/)/.test(resolved)) {
    throw new ToteError(
      'EUNSUPPORTEDSOURCE',
      `package-lock.json: ${path} comes from ${JSON.stringify(resolved)}; tote installs packages from registries, tarball URLs, tarballs on disk, folders and git commits (git+https, git+ssh, git+file, git://)`,
      {
        hint: 'Install this project with npm for now, or depend on a registry version of that package.',
        details: { path, resolved },
      },
    )
  }
  throw new ToteError(
    'ELOCKFILE',
    `package-lock.json: ${path} has a resolved that is not a URL: ${JSON.stringify(resolved)}`,
    {
      hint: 'Restore package-lock.json from version control, or delete the entry and run `tote install`.',
      details: { path, resolved },
    },
  )
}
