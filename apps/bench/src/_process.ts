import { spawn, spawnSync } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { hostsPrefix } from './_commands.js'

export interface CapturedRun {
  status: number | null
  stdout: string
  stderr: string
}

/** Runs a short command to completion and captures its output, under the hosts file when given. */
export function runCaptured(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; hostsFile?: string | undefined; timeoutMs?: number },
): CapturedRun {
  const [program, argv] =
    options.hostsFile === undefined
      ? [command, args]
      : ['unshare', [...hostsPrefix(options.hostsFile), command, ...args]]
  const result = spawnSync(program, argv, {
    cwd: options.cwd,
    env: options.env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: options.timeoutMs ?? 10 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  })
  return {
    status: result.status,
    stdout: result.stdout ?? '',
    stderr: (result.stderr ?? '') + (result.error ? `\n${result.error.message}` : ''),
  }
}

/** Process groups of the commands running now, so an interrupted pm-bench can stop them. */
const runningGroups = new Set<number>()

/** Kills every command started by runToFiles that is still running (for SIGINT/SIGTERM). */
export function killRunning(): void {
  for (const group of runningGroups) {
    try {
      process.kill(-group, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
  runningGroups.clear()
}

export interface FileRunResult {
  exitCode: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  spawnError: string | undefined
}

/**
 * Runs a long command with stdout and stderr going to files (a pipe would make the benchmark
 * read megabytes of progress output) and stdin closed, so a prompt fails instead of hanging.
 * The command gets its own process group, so a timeout kills everything it started.
 */
export function runToFiles(
  command: string,
  args: string[],
  options: {
    cwd: string
    env: Record<string, string>
    stdoutFile: string
    stderrFile: string
    timeoutMs: number
  },
): Promise<FileRunResult> {
  const out = openSync(options.stdoutFile, 'w')
  const err = openSync(options.stderrFile, 'w')
  return new Promise((resolve) => {
    let timedOut = false
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', out, err],
      detached: true,
    })
    const group = child.pid
    if (group !== undefined) runningGroups.add(group)
    const timer = setTimeout(() => {
      timedOut = true
      if (group !== undefined) {
        try {
          process.kill(-group, 'SIGKILL')
        } catch {
          // Already gone.
        }
      }
    }, options.timeoutMs)
    let finished = false
    const finish = (result: Omit<FileRunResult, 'timedOut'>) => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      if (group !== undefined) runningGroups.delete(group)
      closeSync(out)
      closeSync(err)
      resolve({ ...result, timedOut })
    }
    child.once('error', (error) => finish({ exitCode: null, signal: null, spawnError: error.message }))
    child.once('exit', (exitCode, signal) => finish({ exitCode, signal, spawnError: undefined }))
  })
}
