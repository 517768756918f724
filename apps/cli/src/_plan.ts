import { readFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import type { ScheduledPackage } from '@tote/scheduler'
import {
  isInstallPathInside,
  type Lockfile,
  type LockfilePackage,
  lockfileKeyProblem,
  type OmitType,
  ToteError,
} from '@tote/types'

/** The platform optional dependencies are matched against. */
export interface Platform {
  os: string
  cpu: string
  /** `glibc` or `musl` on Linux; undefined elsewhere. */
  libc: string | undefined
}

export interface PlanOptions {
  projectDir: string
  omit: readonly OmitType[]
  registryFor(name: string): string
  platform?: Platform
}

/** What an install will put on disk, and what it leaves out. */
export interface InstallPlan {
  packages: ScheduledPackage[]
  /**
   * Entries left out, with why: `--omit`, an optional package for another platform, a workspace
   * link, a dependency of a linked folder outside the project (`outside`: tote writes only inside
   * it), or a package only those need (`unreachable`).
   */
  skipped: { path: string; reason: 'omit' | 'platform' | 'link' | 'outside' | 'unreachable' }[]
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

/** Where `name` resolves from the package at `from`, as Node looks it up (nearest node_modules up). */
function resolveInLockfile(packages: Lockfile['packages'], from: string, name: string): string | undefined {
  let base = from
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`
    if (packages[candidate]) return candidate
    if (base === '') return undefined
    const cut = base.lastIndexOf('/node_modules/')
    base = cut === -1 ? '' : base.slice(0, cut)
  }
}

/**
 * The install paths reachable from the project without going through a skipped package: what
 * npm installs. A package only needed by another platform's optional binary (hoisted next to it
 * rather than nested) is left out with it.
 */
function reachable(lockfile: Lockfile, isSkipped: (path: string) => boolean, omitDev: boolean): Set<string> {
  const { packages } = lockfile
  const seen = new Set<string>()
  const root = packages[''] ?? {}
  const queue: [string, Record<string, string> | undefined][] = [
    ['', root.dependencies],
    ['', root.optionalDependencies],
    ['', root.peerDependencies],
    ['', omitDev ? undefined : root.devDependencies],
  ]
  while (queue.length > 0) {
    const [from, deps] = queue.pop()!
    for (const name of Object.keys(deps ?? {})) {
      const path = resolveInLockfile(packages, from, name)
      if (path === undefined || seen.has(path) || isSkipped(path)) continue
      seen.add(path)
      const entry = packages[path]!
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
 * Turns a lockfile into the packages to place: every entry but the project, minus `--omit` types,
 * optional packages built for another platform, and whatever only those need (nested under them or
 * hoisted beside them), as npm decides.
 */
export function planInstall(lockfile: Lockfile, options: PlanOptions): InstallPlan {
  const platform = options.platform ?? currentPlatform()
  const omit = new Set(options.omit)
  const plan: InstallPlan = { packages: [], skipped: [], optional: new Set() }
  const skippedPrefixes: string[] = []
  const skippedPaths = new Set<string>()
  // Sorted so that a parent is seen before what is nested under it.
  for (const path of Object.keys(lockfile.packages).sort()) {
    const entry = lockfile.packages[path]!
    if (path === '' || !path.includes('node_modules/')) continue
    if (skippedPrefixes.some((prefix) => path.startsWith(prefix))) continue
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
      skippedPrefixes.push(`${path}/`)
      skippedPaths.add(path)
    }
    if (entry.link) {
      skip('link')
      continue
    }
    if (!isInstallPathInside(path)) {
      skip('outside')
      continue
    }
    if (isOmitted(entry, omit)) {
      skip('omit')
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
    plan.packages.push({
      path,
      name,
      version: entry.version,
      integrity: entry.integrity ?? '',
      tarballUrl:
        entry.resolved === undefined
          ? registryTarballUrl(options.registryFor(name), name, entry.version)
          : tarballUrlOf(path, entry.resolved),
      hasInstallScript: entry.hasInstallScript === true,
      ...(entry.bin ? { bin: entry.bin } : {}),
      destDir: destinationOf(options.projectDir, path),
    })
  }
  if (skippedPaths.size === 0) return plan
  const isSkipped = (path: string) =>
    skippedPaths.has(path) || skippedPrefixes.some((prefix) => path.startsWith(prefix))
  const wanted = reachable(lockfile, isSkipped, omit.has('dev'))
  const kept: ScheduledPackage[] = []
  for (const pkg of plan.packages) {
    if (wanted.has(pkg.path)) kept.push(pkg)
    else {
      plan.skipped.push({ path: pkg.path, reason: 'unreachable' })
      plan.optional.delete(pkg.path)
    }
  }
  plan.packages = kept
  return plan
}

/** Where a registry serves a version's tarball: `<registry><name>/-/<unscoped name>-<version>.tgz`. */
export function registryTarballUrl(registry: string, name: string, version: string): string {
  const base = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name
  return `${registry}${name}/-/${base}-${version}.tgz`
}

/** The folder an install path names, proven to be inside the project's tree before anything uses it. */
function destinationOf(projectDir: string, path: string): string {
  const destDir = join(projectDir, path)
  const inside = relative(projectDir, destDir)
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || !inside.includes('node_modules')) {
    throw new ToteError('ELOCKFILE', `package-lock.json: ${JSON.stringify(path)} leads outside the project`, {
      hint: 'Restore package-lock.json from version control, or delete it and run `tote install`.',
      details: { path },
    })
  }
  return destDir
}

/** A `resolved` that tote can download: an http(s) URL. Other sources are named in the error. */
function tarballUrlOf(path: string, resolved: string): string {
  let url: URL | undefined
  try {
    url = new URL(resolved)
  } catch {}
  if (url?.protocol === 'https:' || url?.protocol === 'http:') return resolved
  if (url !== undefined || /^(?:git\+|github:|gitlab:|bitbucket:|file:|link:|\.{0,2}\/)/.test(resolved)) {
    throw new ToteError(
      'EUNSUPPORTEDSOURCE',
      `package-lock.json: ${path} comes from ${JSON.stringify(resolved)}; tote installs packages from registries and tarball URLs only, so far`,
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
