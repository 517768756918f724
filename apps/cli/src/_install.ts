import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { lstat, mkdir, readFile, rm, stat, symlink, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BinPackage, type CloneStrategy, linkBins, removeExtraneous } from '@tote/cloner'
import type { ToteConfig } from '@tote/config'
import { createDownloader, type Downloader } from '@tote/downloader'
import { hiddenLockfile, sha512Integrity, stringifyLockfile, writeLockfileText } from '@tote/lockfile'
import type { RegistryClient } from '@tote/registry-client'
import {
  createScheduler,
  type PrefetchRequest,
  type ScheduledPackage,
  type Scheduler,
  type SchedulerDeps,
  type ScriptJobs,
} from '@tote/scheduler'
import type { UnreviewedMode } from '@tote/scripts'
import { type Lockfile, type StageWarning, strongestHash, ToteError } from '@tote/types'
import { createGitRepos, type GitRepos, isGitResolved } from './_git.js'
import { createGitPreparer, type GitPreparer, needsPrepare } from './_git-prepare.js'
import { packFolder } from './_pack-folder.js'
import {
  folderInside,
  type InstallPlan,
  nameOfPath,
  type PlannedLink,
  type WorkspaceFilter,
} from './_plan.js'
import type { Reporter } from './_reporter.js'
import { readState } from './_scripts.js'
import { type ImportModule, type StageModules, stageImporter, stageModules } from './_stage-modules.js'
import { type Tracer, traced } from './_trace.js'
import { compareWithTree, HIDDEN_LOCKFILE, markDone, markInProgress } from './_tree-state.js'
import { workerFiles } from './_workers.js'

/** What the install asks of the dependencies' script jobs (those of _script-jobs.ts). */
export interface TreeHooks {
  /**
   * Before the scheduler starts: the scheduler's script jobs for this tree (the plan, and what is
   * about to be placed), which its install() queues as the tree is placed.
   */
  jobs(tree: {
    plan: Pick<InstallPlan, 'packages' | 'bundled' | 'links'>
    toPlace: readonly unknown[]
  }): ScriptJobs
  /** The package without the bins linked early (those are in place already): for the last linkBins. */
  binsLeft<T extends BinPackage>(pkg: T): T
}

export interface NodeModulesResult {
  /** Packages at paths that had none (or whose folder was missing). */
  added: number
  /** Packages that replaced another version at the same path. */
  changed: number
  kept: number
  removed: number
  downloaded: number
  withScripts: string[]
  /** Install paths placed by this run (not kept from before), failed optional ones left out. */
  placed: string[]
  /** Install paths in node_modules now. */
  installed: string[]
}

/** The git preparer of each install's scheduler: what installNodeModules asks whether a kept git dependency is to be prepared now. */
const gitPreparers = new WeakMap<Scheduler, GitPreparer>()

/**
 * The scheduler for this run: downloads through the registry client, and tote's own stage modules
 * (or those the command line names) for unpacking, caching and cloning. Its worker file and tote's
 * stage modules are found next to the bundle.
 */
export function createInstallScheduler(
  client: RegistryClient,
  config: ToteConfig,
  reporter: Reporter,
  stages: {
    cloneStrategy: CloneStrategy
    stageModules: StageModules
    importModule?: ImportModule | undefined
    workers?: number | undefined
    /** The project and --unreviewed-scripts, for the allowScripts policy of git dependencies' prepare. */
    project?: { manifest: Record<string, unknown> }
    unreviewed?: UnreviewedMode
  },
  tracer?: Tracer,
): Scheduler {
  const importModule = stageImporter(stages.importModule)
  const modules = stageModules(stages.stageModules)
  const warnCache = cacheWarnings(reporter)
  const preparer = createGitPreparer(
    { config },
    { manifest: stages.project?.manifest, unreviewed: stages.unreviewed },
  )
  const gitRepos = createGitRepos(config.cacheDir, { preparer })
  const scheduler = createScheduler(
    downloadStage(client, stages.stageModules.downloader, importModule, gitRepos),
    {
      stages: {
        extractor: { module: modules.extractor },
        contentCache: { module: modules.contentCache, options: { dir: config.cacheDir } },
        // `auto` remembers what worked per device pair in tote's cache folder.
        cloner: {
          module: modules.cloner,
          options: { strategy: stages.cloneStrategy, stateDir: config.cacheDir },
        },
      },
      importModule,
      ...(stages.workers !== undefined ? { workers: stages.workers } : {}),
      ...(workerFiles.scheduler ? { workerFile: workerFiles.scheduler } : {}),
      onEvent(event) {
        if (event.type === 'warning') {
          if (!warnCache(event.warning)) reporter.warn(event.warning)
        } else if (event.type === 'job-end') {
          if (tracer) {
            const args = {
              packages: event.packages,
              ...(event.bytes ? { bytes: event.bytes } : {}),
              ...(event.files ? { files: event.files } : {}),
            }
            // downloads and script jobs overlap on this thread: each on a free lane
            if (event.thread === 0 && (event.kind === 'download' || event.kind === 'scripts'))
              tracer.asyncSpan(event.kind, event.label, event.start, event.end, args)
            else tracer.span(event.kind, event.label, event.start, event.end, event.thread, args)
          }
          if (event.kind === 'scripts') return
          if (event.kind === 'download') {
            reporter.progress.downloaded++
            reporter.progress.bytes += event.bytes ?? 0
          } else if (event.kind === 'unpack') reporter.progress.extracted++
          reporter.progress.linked += event.packages
          reporter.update()
        }
      },
    },
  )
  gitPreparers.set(scheduler, preparer)
  return scheduler
}

/**
 * The download stage: `@tote/downloader` over the registry client, or the module `--stage
 * downloader=…` names, which exports `createDownloader(client)` as `@tote/downloader` does.
 */
function downloadStage(
  client: RegistryClient,
  module: string | undefined,
  load: ImportModule,
  gitRepos: GitRepos,
): SchedulerDeps {
  // `file:` tarballs (npm's `resolved: "file:vendor/a.tgz"`) are read from disk and git commits
  // packed from tote's mirror of the repository, whatever the module
  const deps = downloadFrom(client, module, load)
  return {
    download: async (request, options) => {
      if (request.tarballUrl.startsWith('file:')) return readTarballFile(request)
      if (isGitResolved(request.tarballUrl)) {
        const data = await gitRepos.pack(request.tarballUrl, options)
        return { data, integrity: sha512Integrity(data) }
      }
      return deps.download(request, options)
    },
  }
}

function downloadFrom(client: RegistryClient, module: string | undefined, load: ImportModule): SchedulerDeps {
  if (module === undefined) {
    const downloader = createDownloader(client)
    return { download: (request, { signal }) => downloader.download(request, { signal }) }
  }
  const loading = load(module).then((loaded) => {
    const create = (loaded as { createDownloader?: unknown } | undefined)?.createDownloader
    if (typeof create !== 'function') {
      throw new ToteError(
        'ESTAGEMODULE',
        `The downloader module ${module} does not export createDownloader(client)`,
        {
          hint: 'Name a module that exports createDownloader(client), as @tote/downloader does.',
          details: { stage: 'downloader', module },
        },
      )
    }
    return (create as (deps: RegistryClient) => Downloader)(client)
  })
  loading.catch(() => {}) // the first download reports it
  return { download: async (request, { signal }) => (await loading).download(request, { signal }) }
}

/**
 * A `file:` tarball (npm's `resolved: "file:vendor/a.tgz"`, planned as a file URL): read, and checked
 * (an install-links folder, `resolved: "file:vendor/a"`: packed, no integrity to check)
 * against the lockfile's integrity as a download is (`EINTEGRITY`); a missing file is `ENOENT` naming it.
 */
async function readTarballFile(request: PrefetchRequest): Promise<{ data: Uint8Array; integrity: string }> {
  const path = fileURLToPath(request.tarballUrl)
  // install-links: a folder, packed as npm pack packs it (its integrity is that of the bytes)
  if ((await stat(path).catch(() => undefined))?.isDirectory()) {
    const data = await packFolder(path, `${request.name}@${request.version} (${path})`)
    return { data, integrity: sha512Integrity(data) }
  }
  let data: Buffer
  try {
    data = await readFile(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'ETARBALL'
    throw new ToteError(
      code,
      `Cannot read the tarball of ${request.name}@${request.version}: ${path} (${code})`,
      {
        hint: 'The lockfile points at a tarball on disk that is not there: restore it, or change the dependency and run `tote install`.',
        cause: error,
        details: { path },
      },
    )
  }
  if (!request.integrity) return { data, integrity: sha512Integrity(data) }
  const expected = strongestHash(request.integrity)
  const actual = createHash(expected.algorithm).update(data).digest('base64')
  if (actual !== expected.base64) {
    throw new ToteError(
      'EINTEGRITY',
      `Integrity check failed for ${request.name}@${request.version} (${path}): expected ${expected.sri}, got ${expected.algorithm}-${actual}`,
      {
        hint: 'The tarball on disk differs from what the lockfile recorded. If it was changed on purpose, run `tote install` to record it again.',
        details: { path, expected: expected.sri, actual: `${expected.algorithm}-${actual}` },
      },
    )
  }
  return { data, integrity: expected.sri }
}

/**
 * A git dependency kept from an earlier install that packed it unprepared (its scripts still
 * pending: the allowScripts policy did not trust it then) and that the policy trusts now (approved
 * since): it is placed again, packed prepared, as `tote ci` would place it. Undefined when the
 * scheduler prepares nothing or no scripts are pending.
 */
function preparedNow(
  nodeModules: string,
  scheduler: Scheduler,
): ((pkg: ScheduledPackage) => boolean) | undefined {
  const preparer = gitPreparers.get(scheduler)
  if (!preparer) return undefined
  const { pending } = readState(nodeModules)
  if (Object.keys(pending).length === 0) return undefined
  return (pkg) => {
    if (pending[pkg.path] === undefined || !isGitResolved(pkg.tarballUrl)) return false
    let manifest: Record<string, unknown>
    try {
      manifest = JSON.parse(readFileSync(join(pkg.destDir, 'package.json'), 'utf8')) as Record<
        string,
        unknown
      >
    } catch {
      return false
    }
    return needsPrepare(manifest) && preparer.mayPrepare(pkg.tarballUrl)
  }
}

/** Cache warnings shown one by one; more than that are listed with --verbose only. */
const CACHE_WARNINGS_SHOWN = 5

/**
 * Shows the first few damaged or mismatched cache entries, then one line for the rest: a cache
 * copied without its mtimes reads as damaged everywhere, and a warning per package would bury the
 * rest. Returns false for other warnings.
 */
function cacheWarnings(reporter: Reporter): (warning: StageWarning) => boolean {
  const seen = new Map<string, number>()
  return (warning) => {
    if (warning.code !== 'ECACHEDAMAGED' && warning.code !== 'ECACHEOTHERPACKAGE') return false
    const count = (seen.get(warning.code) ?? 0) + 1
    seen.set(warning.code, count)
    if (count <= CACHE_WARNINGS_SHOWN) reporter.warn(warning)
    else if (count === CACHE_WARNINGS_SHOWN + 1) {
      reporter.warn({
        code: warning.code,
        message: 'More cached packages like these are fetched again (--verbose lists them).',
      })
    }
    if (count > CACHE_WARNINGS_SHOWN) reporter.debug(`${warning.code}: ${warning.message}`)
    return true
  }
}

/**
 * Makes node_modules match the lockfile: packages whose folder already matches (by the hidden
 * lockfile npm and tote keep in node_modules) stay, the rest are placed by the scheduler, folders no
 * longer in the lockfile are removed, bins are linked, and the hidden lockfile is written last.
 */
export async function installNodeModules(options: {
  projectDir: string
  lockfile: Lockfile
  config: ToteConfig
  scheduler: Scheduler
  reporter: Reporter
  tracer?: Tracer | undefined
  /** Only these workspaces (npm's `-w`); undefined: the whole lockfile. */
  filter?: WorkspaceFilter | undefined
  /**
   * Whether the install scripts of the package at an install path may run in this install (see
   * `scriptsMayRun` in _scripts.ts). Undefined: those of every package with install scripts, unless
   * scripts are off (ignore-scripts).
   */
  scriptsMayRun?: ((path: string) => boolean) | undefined
  /** Told what is placed as it is: dependencies' scripts start while the rest is placed. */
  scripts?: TreeHooks | undefined
  /** planInstall's plan of `lockfile` with this config and filter, when the caller made it already. */
  plan?: InstallPlan | undefined
}): Promise<NodeModulesResult> {
  const { projectDir, lockfile, config, scheduler, reporter, tracer, filter, scripts } = options
  const nodeModules = join(projectDir, 'node_modules')
  const hiddenPath = join(nodeModules, HIDDEN_LOCKFILE)
  const treeExists = existsSync(nodeModules)
  const { plan, previous, toPlace, keptPaths, changedPaths, toLink, alsoKept } = await traced(
    tracer,
    'phase',
    'plan',
    () =>
      compareWithTree(projectDir, lockfile, config, {
        filter,
        plan: options.plan,
        placeAgain: preparedNow(nodeModules, scheduler),
      }),
  )
  const kept = keptPaths.size
  // Whatever this run may change is named before the first change, so that a run killed half-way
  // leaves a tree whose untouched part is still trusted and whose touched part is checked again.
  // A tree that is up to date is not written at all (a read-only project installs fine).
  const leaving =
    previous === undefined
      ? []
      : Object.keys(previous.packages).filter((path) => !keptPaths.has(path) && !alsoKept.has(path))
  const changes = previous === undefined || toPlace.length > 0 || toLink.length > 0 || leaving.length > 0
  if (changes) {
    markInProgress(
      nodeModules,
      previous === undefined
        ? 'all'
        : [...new Set([...toPlace.map((pkg) => pkg.path), ...toLink.map((link) => link.path), ...leaving])],
    )
  }
  let removed = 0
  // With a workspace filter, what the lockfile has outside it stays where it is (npm leaves it alone).
  const keep = new Set([
    ...plan.packages.map((pkg) => pkg.path),
    ...plan.bundled,
    ...plan.links.map((link) => link.path),
    ...(filter ? alsoKept : []),
  ])
  // npm counts every package that leaves the tree, those nested in a removed folder too: the
  // hidden lockfile names them, the sweeps only the folders they removed
  const gone = new Set<string>()
  if (treeExists) {
    // Stale folders go first: what the plan replaces, and what it no longer has. A package whose
    // top-level folder is not in its node_modules has nothing to remove (after `tote ci` emptied
    // the tree: none at all).
    const present = presentFolders(projectDir)
    const stale = toPlace.filter((pkg) => present(pkg.path))
    await Promise.all(stale.map((pkg) => rm(pkg.destDir, { recursive: true, force: true })))
    const result = await removeExtraneous({ projectDir, keep })
    for (const path of result.removed) gone.add(path)
    // (packages only: a workspace's own folder entry is not a package that leaves)
    for (const path of Object.keys(previous?.packages ?? {})) {
      if (path.includes('node_modules/') && !keep.has(path)) gone.add(path)
    }
  }
  // the node_modules of the project's own folders (workspaces, file: folders inside it) too
  for (const folder of projectFolders(projectDir, lockfile)) {
    const prefix = `${folder}/`
    const inside = new Set(
      [...keep].filter((path) => path.startsWith(prefix)).map((path) => path.slice(prefix.length)),
    )
    const result = await removeExtraneous({ projectDir: join(projectDir, folder), keep: inside })
    for (const path of result.removed) gone.add(`${prefix}${path}`)
  }
  removed = gone.size
  await placeLinks(toLink)

  reporter.progress.total = toPlace.length
  reporter.phase('installing')
  const failedOptional = new Set<string>()
  // A package with install scripts gets files of its own (no hard links into the cache) when its
  // scripts may run in this install, so that they cannot change the cache and every project linked
  // to it. One whose scripts do not run here (scripts off, denied, not yet approved) is linked like
  // any other; should its scripts run in a later install, that install gives it files of its own
  // first (ownFiles in _scripts.ts, before a script job runs). See docs/decisions/2026-12-07-p4-link-floor.md.
  const mayRun = options.scriptsMayRun ?? (() => !config.ignoreScripts)
  const scheduled = toPlace.map((pkg) =>
    pkg.hasInstallScript && !mayRun(pkg.path) ? { ...pkg, hasInstallScript: false } : pkg,
  )
  // dependencies' scripts: the scheduler queues each package's job as its part of the tree is placed
  const jobs = scripts?.jobs({ plan, toPlace: scheduled })
  const placing = traced(tracer, 'phase', 'place packages', () =>
    scheduler.install(scheduled, {
      isOptional: (pkg) => plan.optional.has(pkg.path),
      ...(jobs ? { scripts: jobs } : {}),
      onOptionalFailure(pkg, error) {
        failedOptional.add(pkg.path)
        reporter.warn({
          code: 'EOPTIONALFAILED',
          message: `optional dependency ${pkg.name}@${pkg.version} failed to install and was skipped: ${(error as Error).message}`,
        })
      },
    }),
  )
  placing.catch(() => {}) // awaited below; a failure meanwhile is not an unhandled one
  // The hidden lockfile names what is installed: every planned package, the bundled ones (there
  // when their bundler is: hiddenLockfile drops one whose bundler is left out), the links, and what
  // the tree keeps besides.
  const writesHidden = plan.packages.length > 0 || plan.links.length > 0
  const hiddenText = (packages: readonly { path: string }[]) => {
    const installedPaths = new Set([
      ...packages.map((pkg) => pkg.path),
      ...plan.bundled,
      ...plan.links.map((link) => link.path),
      ...alsoKept,
    ])
    return stringifyLockfile(hiddenLockfile(lockfile, { isInstalled: (path) => installedPaths.has(path) }))
  }
  // While the worker threads place files, this thread makes the hidden lockfile's text as if every
  // package gets placed (made again below if an optional one fails), after a turn of the event
  // loop: the scheduler hands out its first tasks first.
  const expectedHidden = writesHidden
    ? await new Promise<string>((resolve) => setImmediate(() => resolve(hiddenText(plan.packages))))
    : undefined
  const stats = await placing
  const installed = plan.packages.filter((pkg) => !failedOptional.has(pkg.path))
  // npm's --no-bin-links: no .bin folder at all.
  const binLinks = config.get('bin-links') !== false
  for (const link of plan.links) {
    if (link.bin && !link.inside && binLinks) {
      reporter.warn({
        code: 'EBINOUTSIDE',
        message: `the bins of ${link.target} (linked at ${link.path}) are not linked: tote changes nothing outside the project, and linking a bin makes its file executable`,
      })
    }
  }
  await traced(tracer, 'phase', 'link bins', async () => {
    if (!binLinks) return
    await linkBins({
      projectDir,
      packages: [
        ...installed,
        ...plan.links.filter((link) => link.inside).map((link) => ({ ...link, version: link.version ?? '' })),
        // bundled packages' bins too, as npm links them
        ...plan.bundled
          .filter((path) => !failedOptional.has(bundlerOf(path, plan.bundled)))
          .map((path) => {
            const entry = lockfile.packages[path]!
            return {
              path,
              name: entry.name ?? nameOfPath(path),
              version: entry.version ?? '',
              bin: entry.bin,
            }
          }),
      ]
        .filter((pkg) => pkg.bin)
        .map((pkg) => ({
          path: pkg.path,
          name: pkg.name,
          version: pkg.version,
          ...(pkg.bin ? { bin: pkg.bin } : {}),
        }))
        // those a dependency's scripts needed are linked already
        .map((pkg) => scripts?.binsLeft(pkg) ?? pkg),
      // npm picks one bin silently when two packages at one level claim a name; tote too, unless --verbose.
      onWarning: (warning) =>
        warning.code === 'EBINCONFLICT' ? reporter.debug(warning.message) : reporter.warn(warning),
    })
  })
  if (installed.length > 0 || plan.links.length > 0) {
    const text =
      failedOptional.size === 0 && expectedHidden !== undefined ? expectedHidden : hiddenText(installed)
    if (text !== readText(hiddenPath)) {
      await traced(tracer, 'phase', 'write hidden lockfile', () => writeLockfileText(hiddenPath, text))
    }
  } else if (existsSync(hiddenPath)) await rm(hiddenPath, { force: true })
  if (changes) markDone(nodeModules)
  const withScripts = [
    ...new Set(installed.filter((pkg) => pkg.hasInstallScript).map((pkg) => `${pkg.name}@${pkg.version}`)),
  ]
  const changed = installed.filter((pkg) => changedPaths.has(pkg.path)).length
  // npm counts the links it makes as added packages
  const added = installed.length - kept - changed + toLink.length
  const placed = toPlace.filter((pkg) => !failedOptional.has(pkg.path)).map((pkg) => pkg.path)
  const paths = installed.map((pkg) => pkg.path)
  return {
    added,
    changed,
    kept,
    removed,
    downloaded: stats.downloaded,
    withScripts,
    placed,
    installed: paths,
  }
}

/**
 * Whether the top-level folder of an install path is in its node_modules (`node_modules/@s/b/node_modules/c`
 * → is `node_modules/@s/b` there; `packages/w/node_modules/c` → `packages/w/node_modules/c`): one
 * `readdir` per node_modules (and scope folder) asked about, not a look-up per package.
 */
function presentFolders(projectDir: string): (path: string) => boolean {
  const listed = new Map<string, Set<string>>()
  const namesIn = (folder: string) => {
    let names = listed.get(folder)
    if (names === undefined) {
      names = new Set(readdirIfThere(join(projectDir, folder)))
      listed.set(folder, names)
    }
    return names
  }
  return (path) => {
    const start = path.startsWith('node_modules/') ? 0 : path.indexOf('/node_modules/') + 1
    if (start === 0 && !path.startsWith('node_modules/')) return true // not a package path: checked by rm
    const modules = path.slice(0, start + 'node_modules'.length)
    const rest = path.slice(modules.length + 1)
    const slash = rest.indexOf('/')
    const first = slash === -1 ? rest : rest.slice(0, slash)
    if (!namesIn(modules).has(first)) return false
    if (!first.startsWith('@')) return true
    const end = rest.indexOf('/', slash + 1)
    const second = rest.slice(slash + 1, end === -1 ? undefined : end)
    return namesIn(`${modules}/${first}`).has(second)
  }
}

function readdirIfThere(folder: string): string[] {
  try {
    return readdirSync(folder)
  } catch {
    return []
  }
}

/** The install path of the package whose tarball ships a bundled one: the nearest ancestor not bundled itself. */
function bundlerOf(path: string, bundled: readonly string[]): string {
  for (
    let cut = path.lastIndexOf('/node_modules/');
    cut > 0;
    cut = path.lastIndexOf('/node_modules/', cut - 1)
  ) {
    const ancestor = path.slice(0, cut)
    if (!bundled.includes(ancestor)) return ancestor
  }
  return path
}

/**
 * The project's own folders that a lockfile has packages under (`packages/a` of
 * `packages/a/node_modules/x`, or a workspace's), really inside the project (symlinks followed):
 * their node_modules are the install's too.
 */
export function projectFolders(projectDir: string, lockfile: Lockfile): string[] {
  const folders = new Set<string>()
  for (const path of Object.keys(lockfile.packages)) {
    if (path === '' || path.startsWith('../')) continue
    if (!path.includes('/node_modules/') && !path.startsWith('node_modules/')) folders.add(path)
  }
  return [...folders].filter((folder) => folderInside(projectDir, folder))
}

/**
 * Makes each link (a symlink relative to its folder, a junction on Windows), replacing what is at
 * its place: a link is unlinked (never followed), a folder (a package that was there) removed. Each
 * place was proven inside the project's node_modules by the plan.
 */
async function placeLinks(links: readonly PlannedLink[]): Promise<void> {
  await Promise.all(
    links.map(async (link) => {
      const stats = await lstat(link.destDir).catch(() => undefined)
      if (stats?.isSymbolicLink()) await unlink(link.destDir)
      else if (stats) await rm(link.destDir, { recursive: true, force: true })
      await mkdir(dirname(link.destDir), { recursive: true })
      await symlink(link.linkText, link.destDir, 'junction')
    }),
  )
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}
