/** A body that can stop and restart its flow (a Node.js Readable in flowing mode). */
export interface PausableBody {
  pause(): unknown
  resume(): unknown
}

/** One body's place at the gate: report what arrived, and leave when it ends (or fails). */
export interface GatePass {
  received(bytes: number): void
  leave(): void
}

/**
 * Lets large bodies through a few at a time, the one with the fewest bytes left first, and small
 * bodies always. Reading a body costs the calling thread (TLS, chunks, scanning) and that thread is
 * what a resolve waits on: while ten documents of several MB arrive together, each takes as long as
 * all of them, and a small one on the critical path (vite's, before rolldown's) waits behind leaves
 * such as typescript's. A paused body's socket stops being read; its bytes wait in the kernel.
 *
 * A large body that flows also gives way after each turn's bytes (`turnBytes`), until the event
 * loop's next turn: otherwise one loop turn reads all that its socket holds (up to 32 reads of
 * 64 KiB), and every other answer waits behind it. Measured in one process, a 50 ms request took
 * 106–190 ms while typescript's and @types/node's bodies were read, ~52 ms while they were paused,
 * and ~52 ms while another process downloaded them: the wait is this thread's, not the network's.
 */
export interface BodyGate {
  /** `expected`: the body's Content-Length (NaN when unknown: never held). */
  enter(body: PausableBody, expected: number): GatePass
}

interface Entry {
  body: PausableBody
  remaining: number
  /** Bytes read since the body last gave way. */
  turn: number
  /** Paused until the loop's next turn (see `turnBytes`). */
  givingWay: boolean
}

const UNGATED: GatePass = { received() {}, leave() {} }

/**
 * One large body at a time, from 1 MiB. Measured with interleaved p1 runs in fresh folders (medians):
 * vite-react-ts 1.34 s ungated, 1.14 s with one slot, 1.21 s with two (7 runs each); ant-design
 * 5.22, 4.93 and 5.04 s (4 each). 256 KiB, 1 MiB and 4 MiB thresholds: 1.17, 1.17, 1.18 s.
 * Giving way after 64 KiB (vite-react-ts, medians of 12–14 runs each): 1.08 → 1.03 s and 0.97 →
 * 0.94 s; after 16 KiB 0.92 s, after 256 KiB 1.04 s. ant-design: 4.55 → 4.54 s (5 each).
 */
export const GATE_DEFAULTS: GateOptions = { slots: 1, largeBytes: 1 << 20, turnBytes: 1 << 16 }

export interface GateOptions {
  /** Large bodies that flow at once. */
  slots: number
  /** From this Content-Length a body is large. */
  largeBytes: number
  /** A flowing large body gives way after this many bytes, until the event loop's next turn. */
  turnBytes: number
}

export function createBodyGate(options: GateOptions = GATE_DEFAULTS): BodyGate {
  const { slots, largeBytes, turnBytes } = options
  const flowing = new Set<Entry>()
  const waiting = new Set<Entry>()
  const fewestLeft = (entries: Set<Entry>) => {
    let best: Entry | undefined
    for (const entry of entries) if (best === undefined || entry.remaining < best.remaining) best = entry
    return best
  }
  const mostLeft = (entries: Set<Entry>) => {
    let best: Entry | undefined
    for (const entry of entries) if (best === undefined || entry.remaining > best.remaining) best = entry
    return best
  }
  const admitWaiting = () => {
    while (flowing.size < slots) {
      const next = fewestLeft(waiting)
      if (next === undefined) return
      waiting.delete(next)
      flowing.add(next)
      // One giving way resumes itself at the next turn.
      if (!next.givingWay) next.body.resume()
    }
  }
  return {
    enter(body, expected) {
      if (!(expected >= largeBytes)) return UNGATED
      const entry: Entry = { body, remaining: expected, turn: 0, givingWay: false }
      if (flowing.size < slots) {
        flowing.add(entry)
      } else {
        const largest = mostLeft(flowing)!
        if (largest.remaining > entry.remaining) {
          // Shortest remaining first: the newcomer takes the slot of the body with the most left.
          flowing.delete(largest)
          largest.body.pause()
          waiting.add(largest)
          flowing.add(entry)
        } else {
          body.pause()
          waiting.add(entry)
        }
      }
      return {
        received(bytes) {
          entry.remaining -= bytes
          entry.turn += bytes
          if (entry.turn < turnBytes || entry.givingWay || !flowing.has(entry)) return
          entry.turn = 0
          entry.givingWay = true
          body.pause()
          setImmediate(() => {
            entry.givingWay = false
            // Unless the gate paused it meanwhile, or it ended.
            if (flowing.has(entry)) body.resume()
          })
        },
        leave() {
          if (!flowing.delete(entry)) waiting.delete(entry)
          admitWaiting()
        },
      }
    },
  }
}
