import { rm } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { type BinPackage, binOwners, type CloneStrategy, linkBins } from '@tote/cloner'
import type { ToteConfig } from '@tote/config'
import {
  type BuildResult,
  buildOrder,
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
import type { NodeModulesResult, TreeHooks } from './_install.js'
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

// Dependencies' install scripts as jobs of the install: each package's scripts start as soon as it,
// everything it depends on (as the lockfile resolves it) and the bins of those are in place, while
// the scheduler is still placing the rest of the tree. npm's rule holds: a package's scripts start
// only after its dependencies' scripts have ended.

export interface ScriptJobs extends TreeHooks {
  /** start(), for a tree given as paths: `placed` are in place already; no bins are linked (they are). */
  begin(tree: {
    toPlace: readonly { path: string }[]
    placed?: readonly string[]
    installed: readonly string[]
    bins?: readonly BinPackage[]
  }): void
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

/** One package whose scripts (or built result) this install runs. */
interface Job {
  pkg: InstalledWithScripts
  /** The package and everything it depends on, transitively: all must be in place first. */
  closure: string[]
  /** How far the walk through `closure` got: members before it are in place (and examined). */
  next: number
  /** The closure holds a link (a workspace, a folder): its dependencies are only known in place with the tree. */
  needsTree: boolean
  /** Set once its part of the tree is in place. */
  run?: Promise<void>
  /** Resolves when it ended, however (dependents wait for it). */
  ended: Promise<void>
  end: () => void
  finished: boolean
}

const boolEnv = (value: boolean) => (value ? '1' : '')

/**
 * The dependency scripts of one install, driven by what the scheduler reports placed. Each job
 * (a package's install scripts, or the link of its built result from the build cache) starts once
 * the package and its dependencies are in place and their bins linked, after its dependencies' jobs,
 * at most one per core but one at once (one with --foreground-scripts). The allowScripts policy
 * decides which packages run; node_modules/.tote-scripts.json records what has not run yet.
 */
export function createScriptJobs(
  session: JobsSession,
  lockfile: Lockfile,
  options: { command: string; unreviewed: UnreviewedMode },
): ScriptJobs {
  const { config, reporter, tracer } = session
  const projectDir = config.projectDir
  const nodeModules = join(projectDir, 'node_modules')
  const foreground = config.get('foreground-scripts') === true
  const concurrency = foreground ? 1 : Math.max(1, availableParallelism() - 1)
  let graph: Map<string, GraphPackage> | undefined
  const graphOf = () => (graph ??= lockfileGraph(lockfile))

  /** Install paths whose scripts may be due: placed by this run, or left pending by an earlier one. */
  const candidates = new Set<string>()
  /** Paths the scheduler has yet to place. */
  const waiting = new Set<string>()
  const failedPaths = new Set<string>()
  const examined = new Set<string>()
  const found = new Map<string, InstalledWithScripts>()
  const pending: ScriptState['pending'] = {}
  let hadState = false
  let stateWritten = false
  let policy: ScriptPolicy | undefined
  const verdicts = new Map<string, ScriptVerdict>()
  const jobs = new Map<string, Job>()
  /** Jobs whose part of the tree is not in place yet. */
  let placing: Job[] = []
  let treeDone = false
  let releaseHeld: () => void = () => {}
  const held = new Promise<void>((resolve) => {
    releaseHeld = resolve
  })
  let failure: { error: unknown } | undefined
  const failedOptional: BuildResult['failedOptional'] = []
  const report: DependencyScriptsReport = { skipped: [], ran: 0, reused: 0 }
  const controller = new AbortController()
  const closures = new Map<string, { members: string[]; needsTree: boolean }>()

  // Bins: those of a job's part of the tree are linked before it starts; the install links the rest.
  const binLinks = config.get('bin-links') !== false
  /** Every package whose bins the install links; owners and paths worked out when a job first needs them. */
  let allBins: readonly BinPackage[] = []
  let owners: Map<string, string> | undefined
  let binsByPath = new Map<string, BinPackage>()
  const earlyLinked = new Set<string>()
  /** Package path → the linking of its bins, by whichever job needed them first. */
  const linking = new Map<string, Promise<void>>()

  let running = 0
  const queue: (() => void)[] = []
  const slot = () =>
    new Promise<void>((resolve) => {
      if (running < concurrency) {
        running++
        resolve()
      } else
        queue.push(() => {
          running++
          resolve()
        })
    })
  const release = () => {
    running--
    queue.shift()?.()
  }

  let runner: ScriptRunner | undefined
  let logDir: string | undefined
  let buildCache: BuildCache | undefined

  const fail = (error: unknown) => {
    failure ??= { error }
  }

  const done = (path: string) => {
    delete pending[path]
    if (stateWritten) writeState(nodeModules, { pending })
  }

  /** Neither the package nor a folder it lies in is still to be placed. */
  const settled = (path: string) => {
    for (let at = path; ; ) {
      if (waiting.has(at)) return false
      const cut = at.lastIndexOf('/node_modules/')
      if (cut === -1) return true
      at = at.slice(0, cut)
    }
  }

  /** The package failed to install, or lies in one that did. */
  const gone = (path: string) => {
    for (let at = path; ; ) {
      if (failedPaths.has(at)) return true
      const cut = at.lastIndexOf('/node_modules/')
      if (cut === -1) return false
      at = at.slice(0, cut)
    }
  }

  const policyOf = () => {
    policy ??= policyFor(config, session.project.manifest, reporter, options.unreviewed)
    return policy
  }

  /** Reads a placed candidate's scripts; one the policy lets run becomes a job. */
  const examine = (path: string) => {
    if (examined.has(path) || !candidates.has(path) || gone(path)) return
    examined.add(path)
    const pkg = withScripts(projectDir, lockfile, graphOf(), path)
    if (!pkg) return
    found.set(path, pkg)
    const entry = lockfile.packages[path]!
    pending[path] = { version: entry.version ?? '', integrity: entry.integrity ?? '' }
    if (stateWritten) writeState(nodeModules, { pending })
    const { ignoreScripts, unreviewed } = policyOf()
    if (ignoreScripts) return
    const verdict = verdictFor(pkg.node.policy, policyOf())
    verdicts.set(path, verdict)
    if (verdict === 'denied') reporter.debug(`${pkg.label}: install scripts denied by allowScripts`)
    if (verdict !== 'run' && !(verdict === 'unreviewed' && unreviewed === 'run')) return
    if (dependencyRunList(pkg.scripts).length === 0) {
      done(path) // only a prepare, which runs when npm packs a git or folder source
      return
    }
    const { members, needsTree } = closureOf(path)
    let end: () => void = () => {}
    const ended = new Promise<void>((resolve) => {
      end = resolve
    })
    const job: Job = { pkg, closure: members, next: 0, needsTree, ended, end, finished: false }
    jobs.set(path, job)
    placing.push(job)
  }

  /** The package and what it depends on, transitively, by the lockfile's resolution. */
  const closureOf = (start: string) => {
    const known = closures.get(start)
    if (known) return known
    const seen = new Set<string>([start])
    const stack = [start]
    let needsTree = false
    while (stack.length > 0) {
      const path = stack.pop()!
      const node = graphOf().get(path)
      if (!node || lockfile.packages[path]?.link === true) needsTree = true
      for (const dependency of node?.dependencies ?? []) {
        if (seen.has(dependency)) continue
        seen.add(dependency)
        stack.push(dependency)
      }
    }
    const closure = { members: [...seen], needsTree }
    closures.set(start, closure)
    return closure
  }

  /** Starts every job whose part of the tree is now in place. */
  const advance = () => {
    for (let progressed = true; progressed; ) {
      progressed = false
      for (const job of placing) {
        while (job.next < job.closure.length && settled(job.closure[job.next]!)) {
          examine(job.closure[job.next]!) // its own scripts, if it has any: known before this job's order is
          job.next++
        }
        if (job.next === job.closure.length && (!job.needsTree || treeDone)) {
          job.run = start(job)
          progressed = true
        }
      }
      placing = placing.filter((job) => job.run === undefined)
    }
  }

  const start = async (job: Job): Promise<void> => {
    const path = job.pkg.path
    try {
      // After the jobs of what it depends on (through packages without scripts too); in a cycle the
      // shallower first, as buildOrder decides for the whole tree.
      const building = [path, ...job.closure.filter((member) => member !== path && jobs.has(member))]
      const after = buildOrder(graphOf(), building).get(path) ?? []
      const bins = linkEarly(job)
      await bins
      await Promise.all(after.map((other) => jobs.get(other)!.ended))
      if (policyOf().unreviewed === 'fail') await held // --strict-allow-scripts: nothing runs before the check
      await slot()
      try {
        if (!failure && !controller.signal.aborted) await work(job)
      } finally {
        release()
      }
    } catch (error) {
      fail(error)
    } finally {
      job.finished = true
      job.end()
    }
  }

  /** Links the bins of the job's part of the tree that no other job linked yet, and only names each package owns. */
  const linkEarly = async (job: Job): Promise<void> => {
    if (!binLinks || allBins.length === 0) return
    if (!owners) {
      owners = binOwners(allBins)
      binsByPath = new Map(allBins.map((pkg) => [pkg.path, pkg]))
    }
    const packages: BinPackage[] = []
    const others: Promise<void>[] = []
    for (const member of job.closure) {
      const pkg = binsByPath.get(member)
      if (!pkg?.bin || gone(member)) continue
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
      `bins for ${job.pkg.label}`,
      started,
      performance.timeOrigin + performance.now(),
      {
        packages: packages.length,
      },
    )
  }

  /** The job itself: the built result from the build cache, or the package's scripts. */
  const work = async (job: Job): Promise<void> => {
    const { pkg } = job
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
      {
        run: runner,
        concurrency: 1,
        stdio: foreground ? 'inherit' : 'pipe',
        logDir,
        signal: controller.signal,
      },
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

  /** What is to be placed, what is there already, and whose bins the install links. */
  const begin = (tree: {
    toPlace: readonly { path: string }[]
    placed?: readonly string[]
    installed: readonly string[]
    bins?: readonly BinPackage[]
  }) => {
    hadState = stateExists(nodeModules)
    const state = hadState ? readState(nodeModules) : { pending: {} }
    for (const { path } of tree.toPlace) {
      waiting.add(path)
      candidates.add(path)
    }
    for (const path of tree.placed ?? []) candidates.add(path)
    const installed = new Set(tree.installed)
    for (const [path, placed] of Object.entries(state.pending)) {
      const entry = lockfile.packages[path]
      if (
        installed.has(path) &&
        entry?.version === placed.version &&
        (entry.integrity ?? '') === placed.integrity
      ) {
        candidates.add(path)
      }
    }
    if (tree.bins && binLinks) {
      allBins = tree.bins
    }
    // what is in place already (kept from an earlier run, placed before)
    for (const path of candidates) if (settled(path)) examine(path)
    advance()
  }

  const treePlaced = () => {
    if (treeDone) return
    treeDone = true
    waiting.clear()
    for (const path of candidates) examine(path)
    if (candidates.size > 0 || hadState) {
      writeState(nodeModules, { pending })
      stateWritten = true
    }
    if (policy?.unreviewed === 'fail') {
      const listed = sortedFound()
        .filter((pkg) => verdicts.get(pkg.path) === 'unreviewed')
        .filter((pkg) => !pkg.node.policy.inBundle)
      if (listed.length > 0) {
        fail(
          new ToteError(
            'ESTRICTALLOWSCRIPTS',
            `--strict-allow-scripts: ${listed.length} package(s) have install scripts not covered by allowScripts:\n${listed
              .map((pkg) => `  ${pkg.label} (${describeScripts(pkg.scripts)})`)
              .join('\n')}`,
            {
              hint: 'Approve them with `tote install-scripts approve`, deny them with `tote install-scripts deny`, or bypass this check with `--dangerously-allow-all-scripts`.',
              details: { packages: listed.map((pkg) => pkg.label) },
            },
          ),
        )
      }
    }
    advance()
    releaseHeld()
  }

  /** toPlace with what the scripts that will run need first (both parts in their order). */
  const scriptsFirst = <T extends { path: string; hasInstallScript: boolean }>(
    toPlace: readonly T[],
  ): T[] => {
    const building = toPlace.filter((pkg) => pkg.hasInstallScript && !gone(pkg.path))
    if (building.length === 0 || building.length === toPlace.length) return [...toPlace]
    const { ignoreScripts, unreviewed } = policyOf()
    if (ignoreScripts) return [...toPlace]
    const needed = new Set<string>()
    for (const pkg of building) {
      const node = graphOf().get(pkg.path)
      if (!node) continue
      const verdict = verdictFor(node.policy, policyOf())
      if (verdict !== 'run' && !(verdict === 'unreviewed' && unreviewed === 'run')) continue
      for (const member of closureOf(pkg.path).members) needed.add(member)
    }
    if (needed.size === 0) return [...toPlace]
    const first = (path: string) => {
      for (let at = path; ; ) {
        if (needed.has(at)) return true
        const cut = at.lastIndexOf('/node_modules/')
        if (cut === -1) return false
        at = at.slice(0, cut)
      }
    }
    return [...toPlace.filter((pkg) => first(pkg.path)), ...toPlace.filter((pkg) => !first(pkg.path))]
  }

  const guarded = (work: () => void) => {
    try {
      work()
    } catch (error) {
      fail(error)
      waiting.clear()
      treeDone = true
      releaseHeld()
      // nothing more starts: what waits on a job that never will can end
      for (const job of placing) {
        job.finished = true
        job.end()
      }
      placing = []
    }
  }

  const sortedFound = () =>
    [...found.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))

  return {
    begin,
    start({ plan, toPlace }) {
      guarded(() =>
        begin({
          toPlace,
          installed: plan.packages.map((pkg) => pkg.path),
          bins: binPackagesOf(plan, lockfile),
        }),
      )
      let order = [...toPlace]
      guarded(() => {
        order = scriptsFirst(toPlace)
      })
      return order
    },
    // The hooks never throw into the install: a failure (a policy error) is finish()'s.
    placed(path) {
      waiting.delete(path)
      guarded(() => {
        examine(path)
        advance()
      })
    },
    failed(path) {
      waiting.delete(path)
      failedPaths.add(path)
      guarded(advance)
    },
    treePlaced: () => guarded(treePlaced),
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
      guarded(treePlaced)
      const all = [...jobs.values()]
      if (all.some((job) => !job.finished)) reporter.phase('running scripts')
      await Promise.all(all.map((job) => job.run ?? job.ended))
      if (failure) throw failure.error
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
      fail(new Error('the install failed'))
      controller.abort()
      releaseHeld()
      await Promise.all([...jobs.values()].map((job) => job.run))
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

/**
 * The dependency scripts of a tree that is in place already (`tote add`, `remove`, `update`): the
 * packages this run placed, and those an earlier run left pending, as jobs (see createScriptJobs).
 */
export async function runDependencyScripts(
  session: JobsSession,
  lockfile: Lockfile,
  result: Pick<NodeModulesResult, 'placed' | 'installed'>,
  options: { command: string; unreviewed: UnreviewedMode },
): Promise<DependencyScriptsReport> {
  const jobs = createScriptJobs(session, lockfile, options)
  jobs.begin({ toPlace: [], placed: result.placed, installed: result.installed })
  return jobs.finish()
}
