import { rm } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { type BinPackage, binOwners, type CloneStrategy, linkBins } from '@tote/cloner'
import type { ToteConfig } from '@tote/config'
import type { Scheduler, ScriptJobs as SchedulerScriptJobs, ScriptStage } from '@tote/scheduler'
import {
  type BuildResult,
  buildPackages,
  dependencyRunList,
  describeScripts,
  type GraphPackage,
  lockfileGraph,
  type ScriptPolicy,
  type ScriptRunner,
  type ScriptVerdict,
  type UnreviewedMode,
  verdictFor,
} from '@tote/scripts'
import { type Lockfile, ToteError } from '@tote/types'
import { type BuildCache, type BuildCachePackage, createBuildCache } from './_build-cache.js'
import type { TreeHooks } from './_install.js'
import { type InstallPlan, nameOfPath } from './_plan.js'
import type { Reporter } from './_reporter.js'
import {
  createRunner,
  type DependencyScriptsReport,
  describeEnd,
  type InstalledWithScripts,
  logFolder,
  ownFiles,
  policyFor,
  readState,
  type ScriptState,
  stateExists,
  withScripts,
  writeState,
} from './_scripts.js'
import type { Tracer } from './_trace.js'

// Dependencies' install scripts as jobs of the install, queued by the scheduler (its script jobs):
// each package's job starts once it, everything it depends on (as the lockfile resolves it) and the
// bins of those are in place, after its dependencies' jobs, while the rest of the tree is placed.
// What stays here is the policy (which packages run), the runner (spawning, logs, the build cache)
// and the summary.

export interface ScriptJobs extends TreeHooks {
  /**
   * Once the tree is placed: waits for every script job, removes the optional packages whose
   * script failed (with a warning), and says what ran and what was skipped. Throws the first failure
   * of a required package (`ESCRIPTFAILED`), after the running jobs have ended.
   */
  finish(): Promise<DependencyScriptsReport>
  /** The install failed: stops the running scripts (SIGTERM) and waits for them; none starts. */
  cancel(): Promise<void>
}

interface JobsSession {
  config: ToteConfig
  reporter: Reporter
  project: { manifest: Record<string, unknown> }
  tracer?: Tracer | undefined
  cloneStrategy?: CloneStrategy
}

const boolEnv = (value: boolean) => (value ? '1' : '')

/**
 * The dependency scripts of one install, as the scheduler's script stage: the allowScripts policy
 * decides which packages run (`select`), a job links its part of the tree's bins (`prepare`), then
 * runs the package's scripts or links its built result from the build cache (`run`); the scheduler
 * queues them, at most one per core but one at once (one with --foreground-scripts).
 * node_modules/.tote-scripts.json records what has not run yet.
 */
export function createScriptJobs(
  session: JobsSession,
  lockfile: Lockfile,
  scheduler: Pick<Scheduler, 'scriptJobs'>,
  options: { command: string; unreviewed: UnreviewedMode },
): ScriptJobs {
  const { config, reporter, tracer } = session
  const projectDir = config.projectDir
  const nodeModules = join(projectDir, 'node_modules')
  const foreground = config.get('foreground-scripts') === true
  let graph: Map<string, GraphPackage> | undefined
  const graphOf = () => (graph ??= lockfileGraph(lockfile))

  const found = new Map<string, InstalledWithScripts>()
  const pending: ScriptState['pending'] = {}
  let hadState = false
  /** Something is placed by this install, or was left pending by an earlier one. */
  let candidates = false
  let stateWritten = false
  let policy: ScriptPolicy | undefined
  const verdicts = new Map<string, ScriptVerdict>()
  /** The scheduler's script jobs, once the install has made them. */
  let jobs: SchedulerScriptJobs | undefined
  let releaseHeld: () => void = () => {}
  const held = new Promise<void>((resolve) => {
    releaseHeld = resolve
  })
  const failedOptional: BuildResult['failedOptional'] = []
  const report: DependencyScriptsReport = { skipped: [], ran: 0, reused: 0 }

  // Bins: those of a job's part of the tree are linked before it starts; the install links the rest.
  const binLinks = config.get('bin-links') !== false
  /** Every package whose bins the install links; owners and paths worked out when a job first needs them. */
  let allBins: readonly BinPackage[] = []
  let owners: Map<string, string> | undefined
  let binsByPath = new Map<string, BinPackage>()
  const earlyLinked = new Set<string>()
  /** Package path → the linking of its bins, by whichever job needed them first. */
  const linking = new Map<string, Promise<void>>()

  let runner: ScriptRunner | undefined
  let logDir: string | undefined
  let buildCache: BuildCache | undefined

  const done = (path: string) => {
    delete pending[path]
    if (stateWritten) writeState(nodeModules, { pending })
  }

  const policyOf = () => {
    policy ??= policyFor(config, session.project.manifest, reporter, options.unreviewed)
    return policy
  }

  /** Reads a placed package's scripts: one the policy lets run has a job. */
  const select = (path: string): boolean => {
    const pkg = withScripts(projectDir, lockfile, graphOf(), path)
    if (!pkg) return false
    found.set(path, pkg)
    const entry = lockfile.packages[path]!
    pending[path] = { version: entry.version ?? '', integrity: entry.integrity ?? '' }
    if (stateWritten) writeState(nodeModules, { pending })
    const { ignoreScripts, unreviewed } = policyOf()
    if (ignoreScripts) return false
    const verdict = verdictFor(pkg.node.policy, policyOf())
    verdicts.set(path, verdict)
    if (verdict === 'denied') reporter.debug(`${pkg.label}: install scripts denied by allowScripts`)
    if (verdict !== 'run' && !(verdict === 'unreviewed' && unreviewed === 'run')) return false
    if (dependencyRunList(pkg.scripts).length === 0) {
      done(path) // only a prepare, which runs when npm packs a git or folder source
      return false
    }
    return true
  }

  /** Links the bins of the job's part of the tree that no other job linked yet, and only names each package owns. */
  const linkEarly = async (path: string, closure: readonly string[]): Promise<void> => {
    if (!binLinks || allBins.length === 0) return
    if (!owners) {
      owners = binOwners(allBins)
      binsByPath = new Map(allBins.map((pkg) => [pkg.path, pkg]))
    }
    const packages: BinPackage[] = []
    const others: Promise<void>[] = []
    for (const member of closure) {
      const pkg = binsByPath.get(member)
      if (!pkg?.bin) continue
      const linked = linking.get(member)
      if (linked) {
        others.push(linked) // another job's, maybe still at it
        continue
      }
      const binDir = binDirOf(member)
      const names = Object.entries(pkg.bin).filter(([name]) => {
        const key = `${binDir}/${name}`
        if (owners!.get(key) !== member || earlyLinked.has(key)) return false
        earlyLinked.add(key)
        return true
      })
      if (names.length > 0) packages.push({ ...pkg, bin: Object.fromEntries(names) })
    }
    if (packages.length === 0) {
      await Promise.all(others)
      return
    }
    const started = performance.timeOrigin + performance.now()
    const linked = linkBins({
      projectDir,
      packages,
      onWarning: (warning) =>
        warning.code === 'EBINCONFLICT' ? reporter.debug(warning.message) : reporter.warn(warning),
    }).then(() => {})
    for (const pkg of packages) linking.set(pkg.path, linked)
    await Promise.all([linked, ...others])
    tracer?.asyncSpan(
      'bins',
      `bins for ${found.get(path)?.label ?? path}`,
      started,
      performance.timeOrigin + performance.now(),
      { packages: packages.length },
    )
  }

  /** The job itself: the built result from the build cache, or the package's scripts. */
  const work = async (path: string, signal: AbortSignal): Promise<void> => {
    const pkg = found.get(path)!
    const entry = lockfile.packages[pkg.path]!
    const scripts = dependencyRunList(pkg.scripts)
    let cacheable: { pkg: BuildCachePackage; key: string } | undefined
    // The build cache keeps and replays only builds the user trusted (not unreviewed ones run anyway).
    if (verdicts.get(pkg.path) === 'run') {
      buildCache ??= createBuildCache({
        cacheDir: config.cacheDir,
        ...(session.cloneStrategy ? { strategy: session.cloneStrategy } : {}),
        onWarning: (message) => reporter.debug(message),
      })
      const cached: BuildCachePackage = {
        dir: pkg.dir,
        identity: { name: pkg.name, version: entry.version ?? '' },
        integrity: entry.integrity,
        scripts,
      }
      const key = buildCache.keyOf(cached)
      if (key !== undefined) {
        const started = performance.timeOrigin + performance.now()
        if (buildCache.restore(cached, key)) {
          tracer?.span('build cache', pkg.label, started, performance.timeOrigin + performance.now(), 0, {
            key,
          })
          reporter.debug(`${pkg.label}: built result linked from the build cache`)
          report.reused++
          done(pkg.path)
          return
        }
        cacheable = { pkg: cached, key }
      }
    }
    // Scripts change their package's files: none of those may be the cache's (a package linked by an
    // earlier run whose scripts did not run then, or one with a binding.gyp the lockfile does not mark).
    const copied = ownFiles(pkg.dir)
    if (copied > 0)
      reporter.debug(`${pkg.label}: ${copied} files linked from the cache copied before its scripts run`)
    runner ??= createRunner(config, options.command, reporter, tracer)
    logDir ??= logFolder(config)
    const built = await buildPackages(
      [
        {
          path: pkg.path,
          dir: pkg.dir,
          manifest: pkg.manifest,
          scripts,
          env: {
            ...(entry.resolved ? { npm_package_resolved: entry.resolved } : {}),
            ...(entry.integrity ? { npm_package_integrity: entry.integrity } : {}),
            npm_package_optional: boolEnv(pkg.node.optional),
            npm_package_dev: boolEnv(pkg.node.dev),
            npm_package_peer: boolEnv(pkg.node.peer),
            npm_package_dev_optional: boolEnv(pkg.node.devOptional && !pkg.node.dev && !pkg.node.optional),
          },
          optional: pkg.node.optional || pkg.node.devOptional,
          after: [],
          label: pkg.label,
        },
      ],
      { run: runner, concurrency: 1, stdio: foreground ? 'inherit' : 'pipe', logDir, signal },
    )
    // an optional package whose script failed is removed once the tree is placed (finish)
    failedOptional.push(...built.failedOptional)
    if (built.built.length === 0) return
    report.ran++
    done(pkg.path)
    if (!cacheable || !buildCache) return
    const started = performance.timeOrigin + performance.now()
    const saved = await buildCache.save(cacheable.pkg, cacheable.key)
    tracer?.span('build cache', `save ${pkg.path}`, started, performance.timeOrigin + performance.now(), 0)
    reporter.debug(
      `${pkg.path}: built result ${saved === 'saved' ? 'kept in the build cache' : 'not cacheable'}`,
    )
  }

  /** Every package is placed: the state file, and --strict-allow-scripts' check before anything runs. */
  const treePlaced = () => {
    try {
      if (candidates || hadState) {
        writeState(nodeModules, { pending })
        stateWritten = true
      }
      if (policy?.unreviewed !== 'fail') return
      const listed = sortedFound()
        .filter((pkg) => verdicts.get(pkg.path) === 'unreviewed')
        .filter((pkg) => !pkg.node.policy.inBundle)
      if (listed.length > 0) {
        throw new ToteError(
          'ESTRICTALLOWSCRIPTS',
          `--strict-allow-scripts: ${listed.length} package(s) have install scripts not covered by allowScripts:\n${listed
            .map((pkg) => `  ${pkg.label} (${describeScripts(pkg.scripts)})`)
            .join('\n')}`,
          {
            hint: 'Approve them with `tote install-scripts approve`, deny them with `tote install-scripts deny`, or bypass this check with `--dangerously-allow-all-scripts`.',
            details: { packages: listed.map((pkg) => pkg.label) },
          },
        )
      }
    } finally {
      releaseHeld()
    }
  }

  const stage: ScriptStage = {
    dependencies(path) {
      const node = graphOf().get(path)
      // a link's dependencies are its target's, known once the whole tree is in place
      if (!node || lockfile.packages[path]?.link === true) return undefined
      return node.dependencies
    },
    select,
    treePlaced,
    async prepare(path, closure) {
      await linkEarly(path, closure)
      if (policyOf().unreviewed === 'fail') await held // --strict-allow-scripts: nothing runs before the check
    },
    run: (path, { signal }) => work(path, signal),
  }

  const sortedFound = () =>
    [...found.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))

  return {
    jobs({ plan, toPlace }) {
      // what an earlier run left to run, if it is still installed as it was then
      hadState = stateExists(nodeModules)
      const state = hadState ? readState(nodeModules) : { pending: {} }
      const installed = new Set(plan.packages.map((pkg) => pkg.path))
      const inPlace = Object.entries(state.pending)
        .filter(([path, placed]) => {
          const entry = lockfile.packages[path]
          return (
            installed.has(path) &&
            entry?.version === placed.version &&
            (entry.integrity ?? '') === placed.integrity
          )
        })
        .map(([path]) => path)
      candidates = toPlace.length > 0 || inPlace.length > 0
      if (binLinks) allBins = binPackagesOf(plan, lockfile)
      jobs = scheduler.scriptJobs(stage, {
        inPlace,
        concurrency: foreground ? 1 : Math.max(1, availableParallelism() - 1),
      })
      return jobs
    },
    binsLeft(pkg) {
      if (earlyLinked.size === 0 || !pkg.bin) return pkg
      const binDir = binDirOf(pkg.path)
      return {
        ...pkg,
        bin: Object.fromEntries(
          Object.entries(pkg.bin).filter(([name]) => !earlyLinked.has(`${binDir}/${name}`)),
        ),
      } as typeof pkg
    },
    async finish() {
      if (jobs === undefined) return report
      if (jobs.unfinished > 0) reporter.phase('running scripts')
      await jobs.done()
      failedOptional.sort((a, b) => (a.path < b.path ? -1 : 1))
      for (const failed of failedOptional) {
        await rm(join(projectDir, failed.path), { recursive: true, force: true })
        done(failed.path)
        const log = failed.result.logFile ? `; log: ${failed.result.logFile}` : ''
        reporter.warn({
          code: 'EOPTIONALSCRIPT',
          message: `optional dependency ${failed.label} was removed: its ${failed.result.event} script failed (${describeEnd(failed.result)})${log}`,
        })
      }
      const unreviewed = policy?.unreviewed
      report.skipped =
        unreviewed === 'run' || policy?.ignoreScripts
          ? []
          : sortedFound().filter((pkg) => verdicts.get(pkg.path) === 'unreviewed')
      return report
    },
    async cancel() {
      releaseHeld()
      await jobs?.cancel()
    },
  }
}

/** `node_modules/a/node_modules/b` → `node_modules/a/node_modules/.bin`, as linkBins links it. */
function binDirOf(path: string): string {
  return `${path.slice(0, path.lastIndexOf('node_modules/'))}node_modules/.bin`
}

/** Every package whose bins the install links (as installNodeModules lists them). */
function binPackagesOf(
  plan: Pick<InstallPlan, 'packages' | 'bundled' | 'links'>,
  lockfile: Lockfile,
): BinPackage[] {
  const bundled = plan.bundled.map((path) => {
    const entry = lockfile.packages[path]!
    return { path, name: entry.name ?? nameOfPath(path), version: entry.version ?? '', bin: entry.bin }
  })
  const links = plan.links
    .filter((link) => link.inside)
    .map((link) => ({ ...link, version: link.version ?? '' }))
  const packages: BinPackage[] = []
  for (const pkg of [...plan.packages, ...links, ...bundled]) {
    if (pkg.bin) packages.push({ path: pkg.path, name: pkg.name, version: pkg.version, bin: pkg.bin })
  }
  return packages
}
