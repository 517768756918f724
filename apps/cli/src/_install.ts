import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { linkBins, removeExtraneous } from '@tote/cloner'
import type { ToteConfig } from '@tote/config'
import { createDownloader } from '@tote/downloader'
import { hiddenLockfile, readLockfile, writeLockfile } from '@tote/lockfile'
import type { RegistryClient } from '@tote/registry-client'
import { type CloneStrategy, createScheduler, type ScheduledPackage, type Scheduler } from '@tote/scheduler'
import { type Lockfile, type StageWarning, ToteError } from '@tote/types'
import { planInstall } from './_plan.js'
import type { Reporter } from './_reporter.js'
import { type Tracer, traced } from './_trace.js'
import { workerFiles } from './_workers.js'

export interface NodeModulesResult {
  added: number
  kept: number
  removed: number
  downloaded: number
  withScripts: string[]
}

/** The scheduler for this run, over the registry client; its worker file is found next to the bundle. */
export function createInstallScheduler(
  client: RegistryClient,
  config: ToteConfig,
  reporter: Reporter,
  stages: {
    cloneStrategy: CloneStrategy
    clonerModule?: string | undefined
    importModule?: ((specifier: string) => Promise<unknown>) | undefined
    workers?: number | undefined
  },
  tracer?: Tracer,
): Scheduler {
  const downloader = createDownloader(client)
  const warnCache = cacheWarnings(reporter)
  return createScheduler(
    { download: (request, { signal }) => downloader.download(request, { signal }) },
    {
      cacheDir: config.cacheDir,
      cloneStrategy: stages.cloneStrategy,
      ...(stages.clonerModule ? { clonerModule: stages.clonerModule } : {}),
      ...(stages.importModule ? { importModule: stages.importModule } : {}),
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
          if (event.kind === 'download') reporter.progress.downloaded++
          reporter.progress.linked += event.packages
          reporter.update()
        }
      },
    },
  )
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
  const plan = planInstall(lockfile, { projectDir, omit: config.omit, registryFor: config.registryFor })
  const nodeModules = join(projectDir, 'node_modules')
  const hiddenPath = join(nodeModules, '.package-lock.json')
  const previous = existsSync(nodeModules) ? await readHiddenLockfile(hiddenPath) : undefined

  const toPlace: ScheduledPackage[] = []
  let kept = 0
  for (const pkg of plan.packages) {
    const old = previous?.packages[pkg.path]
    if (old && old.version === pkg.version && old.integrity === pkg.integrity && existsSync(pkg.destDir)) {
      kept++
      continue
    }
    toPlace.push(pkg)
  }
  let removed = 0
  if (previous !== undefined || existsSync(nodeModules)) {
    // Stale folders go first: what the plan replaces, and what it no longer has.
    await Promise.all(toPlace.map((pkg) => rm(pkg.destDir, { recursive: true, force: true })))
    const result = await removeExtraneous({ projectDir, keep: new Set(plan.packages.map((pkg) => pkg.path)) })
    removed = result.removed.length
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
  await traced(tracer, 'phase', 'link bins', () =>
    linkBins({
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
    }),
  )
  if (installed.length > 0) {
    const installedPaths = new Set(installed.map((pkg) => pkg.path))
    await writeLockfile(
      hiddenPath,
      hiddenLockfile(lockfile, { isInstalled: (path) => installedPaths.has(path) }),
    )
  }
  const withScripts = [
    ...new Set(installed.filter((pkg) => pkg.hasInstallScript).map((pkg) => `${pkg.name}@${pkg.version}`)),
  ]
  return { added: stats.packages, kept, removed, downloaded: stats.downloaded, withScripts }
}

async function readHiddenLockfile(path: string): Promise<Lockfile | undefined> {
  try {
    return await readLockfile(path)
  } catch (error) {
    // A damaged hidden lockfile only costs a full re-place; it is rewritten at the end.
    if (error instanceof ToteError) return undefined
    throw error
  }
}
