import { existsSync, readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { type CloneStrategy, linkBins, removeExtraneous } from '@tote/cloner'
import type { ToteConfig } from '@tote/config'
import { createDownloader, type Downloader } from '@tote/downloader'
import { hiddenLockfile, stringifyLockfile, writeLockfileText } from '@tote/lockfile'
import type { RegistryClient } from '@tote/registry-client'
import { createScheduler, type Scheduler, type SchedulerDeps } from '@tote/scheduler'
import { type Lockfile, type StageWarning, ToteError } from '@tote/types'
import type { Reporter } from './_reporter.js'
import { type ImportModule, type StageModules, stageImporter, stageModules } from './_stage-modules.js'
import { type Tracer, traced } from './_trace.js'
import { compareWithTree, HIDDEN_LOCKFILE, markDone, markInProgress } from './_tree-state.js'
import { workerFiles } from './_workers.js'

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
  },
  tracer?: Tracer,
): Scheduler {
  const importModule = stageImporter(stages.importModule)
  const modules = stageModules(stages.stageModules)
  const warnCache = cacheWarnings(reporter)
  return createScheduler(downloadStage(client, stages.stageModules.downloader, importModule), {
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
          if (event.thread === 0 && event.kind === 'download')
            tracer.asyncSpan(event.kind, event.label, event.start, event.end, args)
          else tracer.span(event.kind, event.label, event.start, event.end, event.thread, args)
        }
        if (event.kind === 'download') {
          reporter.progress.downloaded++
          reporter.progress.bytes += event.bytes ?? 0
        }
        reporter.progress.linked += event.packages
        reporter.update()
      }
    },
  })
}

/**
 * The download stage: `@tote/downloader` over the registry client, or the module `--stage
 * downloader=…` names, which exports `createDownloader(client)` as `@tote/downloader` does.
 */
function downloadStage(
  client: RegistryClient,
  module: string | undefined,
  load: ImportModule,
): SchedulerDeps {
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
}): Promise<NodeModulesResult> {
  const { projectDir, lockfile, config, scheduler, reporter, tracer } = options
  const nodeModules = join(projectDir, 'node_modules')
  const hiddenPath = join(nodeModules, HIDDEN_LOCKFILE)
  const treeExists = existsSync(nodeModules)
  const { plan, previous, toPlace, keptPaths, changedPaths } = await compareWithTree(
    projectDir,
    lockfile,
    config,
  )
  const kept = keptPaths.size
  // Whatever this run may change is named before the first change, so that a run killed half-way
  // leaves a tree whose untouched part is still trusted and whose touched part is checked again.
  // A tree that is up to date is not written at all (a read-only project installs fine).
  const leaving =
    previous === undefined ? [] : Object.keys(previous.packages).filter((path) => !keptPaths.has(path))
  const changes = previous === undefined || toPlace.length > 0 || leaving.length > 0
  if (changes) {
    markInProgress(
      nodeModules,
      previous === undefined ? 'all' : [...new Set([...toPlace.map((pkg) => pkg.path), ...leaving])],
    )
  }
  let removed = 0
  if (treeExists) {
    // Stale folders go first: what the plan replaces, and what it no longer has.
    await Promise.all(toPlace.map((pkg) => rm(pkg.destDir, { recursive: true, force: true })))
    const planned = new Set(plan.packages.map((pkg) => pkg.path))
    const result = await removeExtraneous({ projectDir, keep: planned })
    // npm counts every package that leaves the tree, those nested in a removed folder too: the
    // hidden lockfile names them, the sweep only the folders it removed
    const gone = new Set(result.removed)
    for (const path of Object.keys(previous?.packages ?? {}))
      if (path !== '' && !planned.has(path)) gone.add(path)
    removed = gone.size
  }

  reporter.progress.total = toPlace.length
  reporter.phase('installing')
  const failedOptional = new Set<string>()
  const stats = await traced(tracer, 'phase', 'place packages', () =>
    scheduler.install(toPlace, {
      isOptional: (pkg) => plan.optional.has(pkg.path),
      onOptionalFailure(pkg, error) {
        failedOptional.add(pkg.path)
        reporter.warn({
          code: 'EOPTIONALFAILED',
          message: `optional dependency ${pkg.name}@${pkg.version} failed to install and was skipped: ${(error as Error).message}`,
        })
      },
    }),
  )
  const installed = plan.packages.filter((pkg) => !failedOptional.has(pkg.path))
  // npm's --no-bin-links: no .bin folder at all.
  const binLinks = config.get('bin-links') !== false
  await traced(tracer, 'phase', 'link bins', async () => {
    if (!binLinks) return
    await linkBins({
      projectDir,
      packages: installed
        .filter((pkg) => pkg.bin)
        .map((pkg) => ({
          path: pkg.path,
          name: pkg.name,
          version: pkg.version,
          ...(pkg.bin ? { bin: pkg.bin } : {}),
        })),
      // npm picks one bin silently when two packages at one level claim a name; tote too, unless --verbose.
      onWarning: (warning) =>
        warning.code === 'EBINCONFLICT' ? reporter.debug(warning.message) : reporter.warn(warning),
    })
  })
  if (installed.length > 0) {
    const installedPaths = new Set(installed.map((pkg) => pkg.path))
    const text = stringifyLockfile(
      hiddenLockfile(lockfile, { isInstalled: (path) => installedPaths.has(path) }),
    )
    if (text !== readText(hiddenPath)) await writeLockfileText(hiddenPath, text)
  } else if (existsSync(hiddenPath)) await rm(hiddenPath, { force: true })
  if (changes) markDone(nodeModules)
  const withScripts = [
    ...new Set(installed.filter((pkg) => pkg.hasInstallScript).map((pkg) => `${pkg.name}@${pkg.version}`)),
  ]
  const changed = installed.filter((pkg) => changedPaths.has(pkg.path)).length
  const added = installed.length - kept - changed
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

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}
