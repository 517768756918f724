import { writeFile } from 'node:fs/promises'

/** One Chrome trace event ("X": a complete span), as Perfetto and chrome://tracing read them. */
interface TraceEvent {
  name: string
  cat: string
  ph: 'X' | 'M'
  /** Microseconds. */
  ts: number
  dur?: number
  pid: number
  tid: number
  args?: Record<string, unknown>
}

/** Collects spans of every job an install runs, and writes them as Chrome trace-event JSON. */
export interface Tracer {
  /** A span from `start` to `end` (epoch milliseconds) on thread `thread` (0: the main thread). */
  span(
    category: string,
    name: string,
    start: number,
    end: number,
    thread: number,
    args?: Record<string, unknown>,
  ): void
  /** A span that overlaps others of its kind (requests in flight): drawn on the first free lane. */
  asyncSpan(category: string, name: string, start: number, end: number, args?: Record<string, unknown>): void
  /** Per category: jobs, summed duration, and the wall time between the first start and the last end. */
  summary(): { category: string; jobs: number; busyMs: number; firstMs: number; lastMs: number }[]
  /**
   * The chain of spans that decided when the install ended: the last phase, the job that finished
   * last before it, and (for an unpack) the download it waited on, with the gaps between them.
   */
  criticalPath(): string[]
  write(path: string): Promise<void>
}

export function createTracer(): Tracer {
  const events: TraceEvent[] = []
  const origin = performance.timeOrigin
  const threads = new Set<number>()
  /** End time of the last span on each lane; lanes are threads 1000, 1001, … in the trace. */
  const lanes: number[] = []
  return {
    asyncSpan(category, name, start, end, args) {
      let lane = lanes.findIndex((laneEnd) => laneEnd <= start)
      if (lane === -1) lane = lanes.push(end) - 1
      else lanes[lane] = end
      this.span(category, name, start, end, 1000 + lane, args)
    },
    span(category, name, start, end, thread, args) {
      threads.add(thread)
      events.push({
        name,
        cat: category,
        ph: 'X',
        ts: Math.round((start - origin) * 1000),
        dur: Math.max(1, Math.round((end - start) * 1000)),
        pid: process.pid,
        tid: thread,
        ...(args ? { args } : {}),
      })
    },
    summary() {
      const byCategory = new Map<string, { jobs: number; busyMs: number; firstMs: number; lastMs: number }>()
      for (const event of events) {
        const start = event.ts / 1000
        const end = start + (event.dur ?? 0) / 1000
        const entry = byCategory.get(event.cat) ?? { jobs: 0, busyMs: 0, firstMs: start, lastMs: end }
        entry.jobs++
        entry.busyMs += (event.dur ?? 0) / 1000
        entry.firstMs = Math.min(entry.firstMs, start)
        entry.lastMs = Math.max(entry.lastMs, end)
        byCategory.set(event.cat, entry)
      }
      return [...byCategory].map(([category, entry]) => ({ category, ...entry }))
    },
    criticalPath() {
      const seconds = (us: number) => `${(us / 1e6).toFixed(2)}s`
      const end = (event: TraceEvent) => event.ts + (event.dur ?? 0)
      const describe = (event: TraceEvent) =>
        `${event.cat} ${event.name} ${seconds(event.ts)}–${seconds(end(event))}`
      const phases = events.filter((event) => event.cat === 'phase').sort((a, b) => a.ts - b.ts)
      const jobs = events.filter((event) => event.cat === 'unpack' || event.cat === 'clone')
      const lines = phases.map(describe)
      const last = jobs.reduce<TraceEvent | undefined>(
        (latest, job) => (!latest || end(job) > end(latest) ? job : latest),
        undefined,
      )
      if (last) {
        const download = events.find((event) => event.cat === 'download' && event.name === last.name)
        if (download) {
          lines.push(
            `last package: ${describe(download)}, waited ${seconds(last.ts - end(download))} for a worker`,
          )
        }
        lines.push(
          `last job to finish: ${describe(last)} on ${last.tid === 0 ? 'the main thread' : `worker ${last.tid}`}`,
        )
      }
      return lines
    },
    async write(path) {
      const names: TraceEvent[] = [...threads].map((tid) => ({
        name: 'thread_name',
        cat: '__metadata',
        ph: 'M',
        ts: 0,
        pid: process.pid,
        tid,
        args: { name: tid === 0 ? 'main thread' : tid >= 1000 ? `network ${tid - 1000}` : `worker ${tid}` },
      }))
      await writeFile(path, JSON.stringify({ traceEvents: [...names, ...events], displayTimeUnit: 'ms' }))
    },
  }
}

/** Runs `work` and, when tracing, records it as a span on the main thread. */
export async function traced<T>(
  tracer: Tracer | undefined,
  category: string,
  name: string,
  work: () => Promise<T>,
): Promise<T> {
  if (!tracer) return work()
  const start = performance.timeOrigin + performance.now()
  try {
    return await work()
  } finally {
    tracer.span(category, name, start, performance.timeOrigin + performance.now(), 0)
  }
}
