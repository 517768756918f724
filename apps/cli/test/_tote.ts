import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../bin/tote.js', import.meta.url))

export interface ToteRun {
  code: number
  stdout: string
  stderr: string
}

/** A scratch folder with a HOME of its own (no ~/.npmrc of the machine's) and a cache folder. */
export function scratch(packageJson?: unknown): { dir: string; home: string; cache: string } {
  const root = mkdtempSync(join(tmpdir(), 'tote-cli-'))
  const dir = join(root, 'project')
  const home = join(root, 'home')
  const cache = join(root, 'cache')
  mkdirSync(dir)
  mkdirSync(home)
  if (packageJson !== undefined) {
    writeFileSync(
      join(dir, 'package.json'),
      typeof packageJson === 'string' ? packageJson : `${JSON.stringify(packageJson, null, 2)}\n`,
    )
  }
  return { dir, home, cache }
}

/**
 * The command line that runs the built CLI the way the `tote` command does: the bin file itself
 * (its `#!/bin/sh` launcher starts Node), with this Node first on PATH. Windows has no `#!`.
 */
export function toteCommand(args: string[]): { file: string; args: string[] } {
  return process.platform === 'win32' ? { file: process.execPath, args: [bin, ...args] } : { file: bin, args }
}

/** PATH with the directory of the Node running the tests first, for the launcher's `node`. */
export function pathWithThisNode(path = process.env.PATH): string {
  return [dirname(process.execPath), path].filter(Boolean).join(delimiter)
}

/** The environment of a run: an isolated HOME and cache, `registry` as npm's configuration. */
function toteEnv(options: {
  home: string
  cache: string
  registry?: string
  env?: Record<string, string>
}): NodeJS.ProcessEnv {
  return {
    PATH: pathWithThisNode(),
    HOME: options.home,
    TOTE_CACHE_DIR: options.cache,
    npm_config_userconfig: join(options.home, '.npmrc'),
    npm_config_fetch_retry_mintimeout: '10',
    npm_config_fetch_retry_maxtimeout: '50',
    ...(options.registry ? { npm_config_registry: options.registry } : {}),
    ...options.env,
  }
}

/** Runs the built CLI as a user would, against `registry`, with an isolated HOME and cache. */
export function tote(
  args: string[],
  options: { cwd: string; home: string; cache: string; registry?: string; env?: Record<string, string> },
): Promise<ToteRun> {
  const env = toteEnv(options)
  return new Promise((resolve) => {
    const command = toteCommand(args)
    execFile(command.file, command.args, { cwd: options.cwd, env }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr })
    })
  })
}

/** A `tote` started in the background, for tests that signal or kill it mid-run. */
export interface StartedTote {
  child: ChildProcess
  /** The process id: the Node process itself (started without the shell launcher), so a signal reaches it. */
  pid: number
  /** Resolves once stderr holds `text`. */
  saidOnStderr(text: string): Promise<void>
  /** Calls `listener` with all of stderr so far, each time more arrives. */
  onStderr(listener: (stderr: string) => void): void
  /** How it ended, and what it printed. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>
}

/** Starts the built CLI with Node directly (as `tote` would, less the launcher's shell line). */
export function startTote(
  args: string[],
  options: { cwd: string; home: string; cache: string; registry?: string; env?: Record<string, string> },
): StartedTote {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: options.cwd,
    env: toteEnv(options),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  const waiting: { text: string; resolve: () => void }[] = []
  const listeners: ((stderr: string) => void)[] = []
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
    for (const wait of waiting) if (stderr.includes(wait.text)) wait.resolve()
    for (const listener of listeners) listener(stderr)
  })
  const exited = new Promise<{
    code: number | null
    signal: NodeJS.Signals | null
    stdout: string
    stderr: string
  }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })))
  return {
    child,
    pid: child.pid!,
    saidOnStderr(text) {
      if (stderr.includes(text)) return Promise.resolve()
      return new Promise((resolve, reject) => {
        waiting.push({ text, resolve })
        void exited.then(() =>
          reject(new Error(`tote exited before saying ${JSON.stringify(text)}; stderr:\n${stderr}`)),
        )
      })
    },
    onStderr(listener) {
      listeners.push(listener)
    },
    exited,
  }
}
