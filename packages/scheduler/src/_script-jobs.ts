// Dependencies' script jobs, queued by the scheduler as the tree is placed: a package's job starts
// once the package, everything it depends on (transitively) and their bins are in place, after the
// jobs of what it depends on have ended (npm's rule), at most `concurrency` at once. The stage
// (given by the caller) decides which packages have a job and what a job does.
import { availableParallelism } from 'node:os'
import { createLimiter } from './_limiter.js'
import type {
  ScheduledPackage,
  SchedulerEvent,
  ScriptJobs,
  ScriptJobsOptions,
  ScriptJobsStats,
  ScriptStage,
} from './types.js'

/** What install() tells the script jobs while it places the tree. */
export interface PlacingHooks {
  /** The packages in the order to place them: what the jobs' scripts need first. */
  order(packages: readonly ScheduledPackage[]): ScheduledPackage[]
  /** install() starts placing these paths. */
  begin(paths: readonly string[]): void
  placed(path: string): void
  failed(path: string): void
  treePlaced(): void
}

const hooks = new WeakMap<ScriptJobs, PlacingHooks>()

/** The placing hooks of script jobs made by createScriptJobs (undefined for any other object). */
export function placingHooks(jobs: ScriptJobs): PlacingHooks | undefined {
  return hooks.get(jobs)
}

interface Job {
  path: string
  /** The package and what it depends on, transitively. */
  closure: string[]
  members: Set<string>
  /** How far the walk through `closure` got: members before it are in place. */
  next: number
  /** The closure has a package whose dependencies are known only with the whole tree. */
  needsTree: boolean
  started: boolean
  finished: boolean
  ended: Promise<void>
  end: () => void
}

/** Install paths by depth, then by path: inside a dependency cycle, the shallower job goes first. */
function compareNodes(a: string, b: string): number {
  const depth = (path: string) => path.split('node_modules/').length
  return depth(a) - depth(b) || a.localeCompare(b, 'en')
}

/** `path` and each folder it lies in (`node_modules/a/node_modules/b` → itself, `node_modules/a`). */
function* selfAndAncestors(path: string): Generator<string> {
  for (let at = path; ; ) {
    yield at
    const cut = at.lastIndexOf('/node_modules/')
    if (cut === -1) return
    at = at.slice(0, cut)
  }
}

export function createScriptJobs(
  stage: ScriptStage,
  options: ScriptJobsOptions,
  events: { emit: (event: SchedulerEvent) => void; nextId: () => number },
): ScriptJobs {
  const concurrency = Math.max(1, options.concurrency ?? availableParallelism() - 1)
  const limiter = createLimiter(concurrency)
  const controller = new AbortController()
  /** Paths install() has yet to place. */
  const waiting = new Set<string>()
  const failedPaths = new Set<string>()
  /** Paths offered to stage.select (or never to be). */
  const asked = new Set<string>()
  /** In place before the install, not yet asked. */
  const inPlace = new Set(options.inPlace ?? [])
  const jobs = new Map<string, Job>()
  const closures = new Map<string, { closure: string[]; needsTree: boolean }>()
  /** Jobs whose part of the tree is not in place yet. */
  let placing: Job[] = []
  const running: Promise<void>[] = []
  let treeDone = false
  let failure: { error: unknown } | undefined
  let ran = 0

  const fail = (error: unknown) => {
    failure ??= { error }
    // nothing more starts: what waits on a job that never will can end
    for (const job of placing) job.end()
    placing = []
  }

  const settled = (path: string) => {
    for (const at of selfAndAncestors(path)) if (waiting.has(at)) return false
    return true
  }
  const gone = (path: string) => {
    for (const at of selfAndAncestors(path)) if (failedPaths.has(at)) return true
    return false
  }

  const closureOf = (start: string) => {
    const known = closures.get(start)
    if (known) return known
    const seen = new Set<string>([start])
    const stack = [start]
    let needsTree = false
    while (stack.length > 0) {
      const dependencies = stage.dependencies(stack.pop()!)
      if (dependencies === undefined) needsTree = true
      for (const dependency of dependencies ?? []) {
        if (seen.has(dependency)) continue
        seen.add(dependency)
        stack.push(dependency)
      }
    }
    const closure = { closure: [...seen], needsTree }
    closures.set(start, closure)
    return closure
  }

  /** Offers a package to the stage, once; one it selects becomes a job. */
  const ask = (path: string) => {
    if (asked.has(path) || failure) return
    asked.add(path)
    inPlace.delete(path)
    if (gone(path) || !stage.select(path)) return
    const { closure, needsTree } = closureOf(path)
    let resolve: () => void = () => {}
    const ended = new Promise<void>((done) => {
      resolve = done
    })
    const job: Job = {
      path,
      closure,
      members: new Set(closure),
      next: 0,
      needsTree,
      started: false,
      finished: false,
      ended,
      end: () => {
        job.finished = true
        resolve()
      },
    }
    jobs.set(path, job)
    placing.push(job)
  }

  /** Starts every job whose part of the tree is now in place. */
  const advance = () => {
    for (let progressed = true; progressed && !failure; ) {
      progressed = false
      for (const job of placing) {
        while (job.next < job.closure.length && settled(job.closure[job.next]!)) {
          const member = job.closure[job.next]!
          // a member in place before the install: its own job, if it has one, is known before this one's order is
          if (inPlace.has(member)) ask(member)
          job.next++
        }
        if (job.next === job.closure.length && (!job.needsTree || treeDone)) {
          job.started = true
          running.push(start(job))
          progressed = true
        }
      }
      placing = placing.filter((job) => !job.started)
    }
  }

  const start = async (job: Job): Promise<void> => {
    try {
      if (failure) return
      // After the jobs of what it depends on; inside a cycle, the shallower first.
      const after = job.closure.filter((other) => {
        const before = other !== job.path && jobs.get(other)
        return before && (!before.members.has(job.path) || compareNodes(other, job.path) < 0)
      })
      await stage.prepare?.(
        job.path,
        job.closure.filter((member) => !gone(member)),
      )
      await Promise.all(after.map((other) => jobs.get(other)!.ended))
      await limiter.run(async () => {
        if (failure || controller.signal.aborted) return
        const id = `scripts#${events.nextId()}`
        const begun = performance.timeOrigin + performance.now()
        events.emit({ type: 'job-start', kind: 'scripts', id, at: begun })
        try {
          await stage.run(job.path, { signal: controller.signal })
        } finally {
          ran++
          events.emit({
            type: 'job-end',
            kind: 'scripts',
            id,
            label: job.path,
            start: begun,
            end: performance.timeOrigin + performance.now(),
            thread: 0,
            packages: 0,
          })
        }
      })
    } catch (error) {
      fail(error)
    } finally {
      job.end()
    }
  }

  /** Runs a hook of the stage; a throw is the jobs' failure, never the install's. */
  const guarded = (work: () => void) => {
    try {
      work()
    } catch (error) {
      fail(error)
    }
  }

  const treePlaced = () => {
    if (treeDone) return
    treeDone = true
    waiting.clear()
    guarded(() => {
      for (const path of [...inPlace]) ask(path)
      stage.treePlaced?.()
      advance()
    })
  }

  const jobsObject: ScriptJobs = {
    async done() {
      treePlaced()
      // jobs started while others ended are awaited too
      for (let seen = 0; seen < running.length; ) {
        const batch = running.slice(seen)
        seen = running.length
        await Promise.all(batch)
      }
      await Promise.all([...jobs.values()].map((job) => job.ended))
      if (failure) throw failure.error
      return { ran } satisfies ScriptJobsStats
    },
    async cancel() {
      fail(new Error('the install failed'))
      controller.abort()
      await Promise.all(running)
    },
    get unfinished() {
      let count = 0
      for (const job of jobs.values()) if (!job.finished) count++
      return count
    },
  }

  hooks.set(jobsObject, {
    order(packages) {
      // the packages whose scripts will run, and what they depend on, first
      const needed = new Set<string>()
      try {
        for (const pkg of packages) {
          if (pkg.hasInstallScript) for (const member of closureOf(pkg.path).closure) needed.add(member)
        }
      } catch (error) {
        fail(error)
        return [...packages]
      }
      if (needed.size === 0) return [...packages]
      const first = (path: string) => {
        for (const at of selfAndAncestors(path)) if (needed.has(at)) return true
        return false
      }
      return [...packages.filter((pkg) => first(pkg.path)), ...packages.filter((pkg) => !first(pkg.path))]
    },
    begin(paths) {
      for (const path of paths) waiting.add(path)
      guarded(() => {
        for (const path of [...inPlace]) if (settled(path)) ask(path)
        advance()
      })
    },
    placed(path) {
      waiting.delete(path)
      guarded(() => {
        ask(path)
        advance()
      })
    },
    failed(path) {
      waiting.delete(path)
      failedPaths.add(path)
      asked.add(path)
      guarded(advance)
    },
    treePlaced,
  })
  return jobsObject
}
