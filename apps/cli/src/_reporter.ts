import type { ToteConfig } from '@tote/config'
import { redactUrlsIn, type StageWarning } from '@tote/types'
import { colourOn, yellow } from './_colour.js'

/**
 * How much the CLI prints: `silent` errors only; `error` results and errors; `normal` also
 * warnings; `verbose` also details.
 */
export type LogLevel = 'silent' | 'error' | 'normal' | 'verbose'

/** Counters behind the progress line; stages' events update them. */
export interface ProgressState {
  phase: string
  resolved: number
  inFlight: number
  downloaded: number
  /** Tarball bytes downloaded. */
  bytes: number
  /** Tarballs unpacked into the content cache (the CPU-bound part between download and install). */
  extracted: number
  linked: number
  total: number
}

/**
 * Renders what the stages report. On a TTY one live line (redrawn at most every 100 ms, on stderr);
 * otherwise plain lines, one per phase. Stages never print: they call the functions given to them,
 * and those land here.
 */
export interface Reporter {
  readonly level: LogLevel
  progress: ProgressState
  /** Starts a phase ("resolving", "installing"); prints a line when not on a TTY. */
  phase(name: string): void
  /** Redraws the live line soon (cheap: call it on every event). */
  update(): void
  warn(warning: StageWarning | { code: string; message: string }): void
  /** A warning about the result itself, shown at every level, --silent included. */
  alert(warning: { code: string; message: string }): void
  /** A detail shown with --verbose only. */
  debug(message: string): void
  /** A result line for the user, on stdout (not in --silent). */
  info(message: string): void
  /** Clears the live line. */
  stop(): void
  /** Prints nothing more: an interrupted run has said its last line. */
  mute(): void
}

/** npm's log levels as the reporter's: warnings from `warn` up, details from `verbose` up. */
const LEVELS: Record<string, LogLevel> = {
  silent: 'silent',
  error: 'error',
  warn: 'normal',
  notice: 'normal',
  http: 'normal',
  timing: 'normal',
  info: 'normal',
  verbose: 'verbose',
  silly: 'verbose',
}

/** The reporter for npm's effective `loglevel` (flags, npmrc, `npm_config_loglevel`) and `progress`. */
export function createReporterFor(config: Pick<ToteConfig, 'get'>): Reporter {
  const loglevel = config.get('loglevel')
  const level = (typeof loglevel === 'string' && LEVELS[loglevel]) || 'normal'
  return createReporter({ level, progress: config.get('progress') !== false, color: config.get('color') })
}

export function createReporter(options: {
  level: LogLevel
  /** false: never a live line (npm's --no-progress). */
  progress?: boolean
  stream?: NodeJS.WriteStream
  /** npm's `color`: false never colours, `always` always does (see _colour.ts). */
  color?: unknown
}): Reporter {
  const stream = options.stream ?? process.stderr
  const warn = yellow('warn', colourOn(stream, options.color))
  const live =
    options.level === 'normal' &&
    options.progress !== false &&
    stream.isTTY === true &&
    process.env.CI === undefined
  let timer: NodeJS.Timeout | undefined
  /** Redraws the line while nothing happens, so the clock never looks frozen. */
  let ticker: NodeJS.Timeout | undefined
  let shown = false
  /** Set when an interrupted run has said its last line: nothing more is drawn or printed. */
  let muted = false
  /**
   * Set by stop(): the line stays away until the next phase. Progress events that arrive late (a
   * stage's last ones, while threads close) would otherwise draw it again after the summary.
   */
  let idle = false
  const started = Date.now()

  const progress: ProgressState = {
    phase: '',
    resolved: 0,
    inFlight: 0,
    downloaded: 0,
    bytes: 0,
    extracted: 0,
    linked: 0,
    total: 0,
  }

  function line(): string {
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    const parts: string[] = []
    if (progress.resolved > 0) parts.push(`${progress.resolved} resolved`)
    if (progress.downloaded > 0) {
      parts.push(`${progress.downloaded} downloaded (${(progress.bytes / 1e6).toFixed(1)} MB)`)
    }
    // without it, a backlog of unpacking (every tarball of a cold install, after resolving) showed
    // as minutes of "0/N installed"
    if (progress.extracted > 0) parts.push(`${progress.extracted} unpacked`)
    if (progress.total > 0)
      parts.push(`${Math.min(progress.linked, progress.total)}/${progress.total} installed`)
    if (progress.inFlight > 0) parts.push(`${progress.inFlight} requests in flight`)
    return `${progress.phase}: ${parts.join(', ') || 'starting'} (${seconds}s)`
  }

  function draw(): void {
    timer = undefined
    if (muted || idle) return
    const text = line()
    // a pseudo-terminal of no size (`script` without a terminal around it) says 0 columns
    const width = stream.columns || 80
    stream.write(`\r\x1b[K${text.slice(0, width - 1)}`)
    shown = true
  }

  function erase(): void {
    if (shown) stream.write('\r\x1b[K')
    shown = false
  }

  function clear(): void {
    if (timer) clearTimeout(timer)
    timer = undefined
    if (ticker) clearInterval(ticker)
    ticker = undefined
    erase()
  }

  function print(text: string, to: NodeJS.WritableStream = stream): void {
    if (muted) return
    const wasShown = shown
    erase()
    // Whoever wrote the line, a URL in it shows no credentials (request lines, warnings, errors).
    to.write(`${redactUrlsIn(text)}\n`)
    if (wasShown) draw()
  }

  return {
    level: options.level,
    progress,
    phase(name) {
      progress.phase = name
      idle = false
      if (live) {
        ticker ??= setInterval(draw, 500).unref()
        this.update()
      } else if (options.level === 'verbose') print(`tote: ${name}…`)
    },
    update() {
      if (live && !muted && !idle && timer === undefined) timer = setTimeout(draw, 100).unref()
    },
    warn(warning) {
      if (options.level === 'silent' || options.level === 'error') return
      const about = 'package' in warning && warning.package ? ` (${warning.package})` : ''
      print(`tote ${warn} ${warning.code}: ${warning.message}${about}`)
    },
    alert(warning) {
      print(`tote ${warn} ${warning.code}: ${warning.message}`)
    },
    debug(message) {
      if (options.level === 'verbose') print(`tote: ${message}`)
    },
    info(message) {
      if (options.level !== 'silent') print(message, process.stdout)
    },
    stop() {
      clear()
      idle = true
    },
    mute() {
      clear()
      muted = true
    },
  }
}
