import type { Reporter } from './_reporter.js'
import { ownTempFileRemover, type TempFolders } from './_temp-files.js'

/** The signals a command stops on, each with its exit code: 128 + its number, as shells report them. */
const EXIT_CODES = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const
type StopSignal = keyof typeof EXIT_CODES

/**
 * How long the worker threads get to stop before the clean-up goes ahead anyway: a person who
 * pressed Ctrl-C waits for it. They stop in milliseconds; what one writes after this is left for
 * the next run to remove.
 */
const STOP_WAIT_MS = 1000

let interrupted: StopSignal | undefined

/** The signal that interrupted this run, if one did: what the stopped work throws is then no news. */
export function interruption(): StopSignal | undefined {
  return interrupted
}

/** A command that can be interrupted. */
export interface Interruptible {
  /** Its name, for the line: `install`, `ci`. */
  command: string
  reporter: Reporter
  /** Where its temporary files are. */
  folders: TempFolders
  /** What an interruption leaves behind, at the moment it comes, for the user: "… are as they were". */
  state(): string
  /** Stops the threads that write files (the scheduler's, the registry client's). */
  stop(): Promise<unknown>
  /** Lets go of what the run holds (the project lock), at once: the last thing before the exit. */
  release?(): void
  /** Runs once the threads have stopped, before the lock is let go: puts back what the run changed. */
  afterStop?(): Promise<unknown>
}

/**
 * On SIGINT, SIGTERM or SIGHUP: says in one line that the command was interrupted and in what state
 * it leaves things, stops the worker threads (so that none writes a file while this one cleans up),
 * removes this process's temporary files, releases the project lock (only now: the threads have
 * stopped writing) and exits with the signal's code. A second signal exits at once. Returns the
 * function that takes the handlers off.
 */
export function exitOnInterrupt(target: Interruptible): () => void {
  const onSignal = (signal: StopSignal) => {
    const code = EXIT_CODES[signal]
    if (interrupted) process.exit(code)
    interrupted = signal
    process.exitCode = code
    const state = target.state()
    target.reporter.stop()
    if (target.reporter.level !== 'silent') {
      process.stderr.write(`tote: ${target.command} interrupted (${signal}); ${state}\n`)
    }
    // The work being stopped fails in ways that are no news now: that was the last line.
    target.reporter.mute()
    const stopped = Promise.race([
      target.stop().catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS)),
    ])
    const exit = () => {
      try {
        target.release?.()
      } catch {}
      process.exit(code)
    }
    Promise.all([ownTempFileRemover(target.folders), stopped]).then(async ([removeOwnTempFiles]) => {
      // At once, then out: nothing on this thread runs in between.
      removeOwnTempFiles()
      if (target.afterStop) await target.afterStop().catch(() => {})
      exit()
    }, exit)
  }
  const signals = Object.keys(EXIT_CODES) as StopSignal[]
  for (const signal of signals) process.on(signal, onSignal)
  return () => {
    for (const signal of signals) process.off(signal, onSignal)
  }
}
