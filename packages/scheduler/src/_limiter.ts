/**
 * Runs async jobs with at most `concurrency` at once, highest priority first (then first come).
 * `canStart` lets the owner hold the queue back (backpressure) and `poke()` re-checks it;
 * `setConcurrency` changes the bound. `deferred`: a job asked for is started at the end of the
 * current turn (a microtask), not at once, so that jobs asked for together compete by priority.
 */
export function createLimiter(
  initialConcurrency: number,
  canStart: () => boolean = () => true,
  options: { deferred?: boolean } = {},
) {
  let concurrency = initialConcurrency
  interface Waiting {
    priority: number
    order: number
    start: () => void
  }
  const queue: Waiting[] = []
  let running = 0
  let order = 0
  let nextQueued = false
  const nextSoon = () => {
    if (!options.deferred) return next()
    if (nextQueued) return
    nextQueued = true
    queueMicrotask(() => {
      nextQueued = false
      next()
    })
  }

  function next(): void {
    while (running < concurrency && queue.length > 0 && canStart()) {
      let best = 0
      for (let i = 1; i < queue.length; i++) {
        const a = queue[i]!
        const b = queue[best]!
        if (a.priority > b.priority || (a.priority === b.priority && a.order < b.order)) best = i
      }
      const [job] = queue.splice(best, 1)
      running++
      job!.start()
    }
  }

  return {
    run<T>(job: () => Promise<T>, priority = 0): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({
          priority,
          order: order++,
          start: () => {
            job()
              .then(resolve, reject)
              .finally(() => {
                running--
                next()
              })
          },
        })
        nextSoon()
      })
    },
    poke: next,
    setConcurrency(value: number): void {
      concurrency = value
      next()
    },
    get pending() {
      return queue.length
    },
    get running() {
      return running
    },
  }
}
