import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, mkdirSync, statSync, type WriteStream } from 'node:fs'
import { dirname, join } from 'node:path'
import { ToteError } from '@tote/types'
import { scriptEnv } from './_env.js'
import type { ScriptManifest, ScriptResult, ScriptRunner, ScriptRunnerOptions } from './types.js'

/** npm's implicit install script of a package with a binding.gyp. */
export const NODE_GYP_REBUILD = 'node-gyp rebuild'

/**
 * A runner of lifecycle scripts: each call runs one event of one package through npm's
 * `script-shell` (`sh -c` by default) in the package folder, with npm's environment, and resolves
 * with how it ended (a failing script is a result, not an error). While scripts run, SIGINT and
 * SIGTERM that reach this process are passed on to them, as npm does.
 */
export function createScriptRunner(options: ScriptRunnerOptions): ScriptRunner {
  const tailLines = options.tailLines ?? 20
  return async (request) => {
    const started = performance.now()
    const script = request.script ?? scriptFor(request.dir, request.manifest, request.event)
    const stdio = request.stdio ?? 'pipe'
    const args = request.args ?? []
    const label = request.label ?? labelOf(request.manifest)
    if (script === undefined) {
      return { event: request.event, script, code: 0, signal: null, tail: '', logFile: undefined, ms: 0 }
    }
    const env = scriptEnv({
      baseEnv: options.env,
      dir: request.dir,
      manifest: request.manifest,
      event: request.event,
      script,
      ...(request.env ? { extraEnv: request.env } : {}),
      ...(request.binPaths ? { binPaths: request.binPaths } : {}),
      ...(options.nodeGypBinDir ? { nodeGypBinDir: options.nodeGypBinDir } : {}),
    })
    const [file, shellArgs, windowsVerbatimArguments] = shellCommand(options.shell, script, args)
    options.onEvent?.({
      type: 'script-start',
      label,
      dir: request.dir,
      event: request.event,
      script,
      args,
      stdio,
    })
    const logFile = stdio === 'pipe' ? request.logFile : undefined
    let log: WriteStream | undefined
    if (logFile) {
      mkdirSync(dirname(logFile), { recursive: true })
      log = createWriteStream(logFile)
    }
    const tail = createTail(tailLines)
    const child = spawn(file, shellArgs, {
      cwd: request.dir,
      env,
      stdio: stdio === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
      windowsVerbatimArguments,
    })
    const stopForwarding = forwardSignals(child)
    const onAbort = () => child.kill('SIGTERM')
    request.signal?.addEventListener('abort', onAbort, { once: true })
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        tail.push(chunk)
        log?.write(chunk)
      })
    }
    try {
      const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
        (resolve, reject) => {
          child.once('error', (error) =>
            reject(
              new ToteError('ESCRIPTSHELL', `Could not start the script shell ${file}: ${error.message}`, {
                hint: 'Check the script-shell setting (npm config), or that `sh` is on PATH.',
                cause: error,
                details: { shell: file, dir: request.dir, event: request.event },
              }),
            ),
          )
          child.once('close', (code, signal) => resolve({ code, signal }))
        },
      )
      const ms = performance.now() - started
      if (log) await new Promise<void>((resolve) => log!.end(resolve))
      options.onEvent?.({
        type: 'script-end',
        label,
        dir: request.dir,
        event: request.event,
        script,
        code,
        signal,
        ms,
        logFile,
      })
      return {
        event: request.event,
        script,
        code,
        signal,
        tail: tail.text(),
        logFile,
        ms,
      } satisfies ScriptResult
    } finally {
      stopForwarding()
      request.signal?.removeEventListener('abort', onAbort)
      log?.destroy()
    }
  }
}

/**
 * The command line of `event` for the package in `dir`: its script; for `install`, npm's implicit
 * `node-gyp rebuild` (a binding.gyp, no install or preinstall script, no `gypfile: false`); for
 * `start`, npm's `node server.js` when there is a server.js. Undefined when there is nothing to run.
 */
export function scriptFor(dir: string, manifest: ScriptManifest, event: string): string | undefined {
  const scripts = (manifest.scripts ?? {}) as Record<string, unknown>
  const own = scripts[event]
  if (typeof own === 'string' && own !== '') return own
  if (
    event === 'install' &&
    !scripts.install &&
    !scripts.preinstall &&
    manifest.gypfile !== false &&
    isFile(join(dir, 'binding.gyp'))
  ) {
    return NODE_GYP_REBUILD
  }
  if (event === 'start' && isFile(join(dir, 'server.js'))) return 'node server.js'
  return undefined
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

export function labelOf(manifest: ScriptManifest): string {
  return manifest.version ? `${manifest.name ?? ''}@${manifest.version}` : (manifest.name ?? '')
}

/** The shell and its arguments for a command line, arguments quoted as npm's promise-spawn does. */
export function shellCommand(
  shell: string | undefined,
  script: string,
  args: readonly string[],
): [string, string[], boolean] {
  const command = shell ?? (process.platform === 'win32' ? (process.env.ComSpec ?? 'cmd.exe') : 'sh')
  if (/(?:^|\\)cmd(?:\.exe)?$/i.test(command)) {
    const line = [script, ...args.map((arg) => quoteCmd(arg))].join(' ')
    return [command, ['/d', '/s', '/c', line], true]
  }
  const line = [script, ...args.map((arg) => quoteSh(arg))].join(' ')
  return [command, ['-c', line], false]
}

/** An argument for `sh -c`, quoted only when it needs to be (npm's rule). */
export function quoteSh(input: string): string {
  if (input.length === 0) return `''`
  if (!/[\t\n\r "#$&'()*;<>?\\`|~]/.test(input)) return input
  return `'${input.replace(/'/g, `'\\''`)}'`.replace(/^(?:'')+(?!$)/, '').replace(/\\'''/g, `\\'`)
}

/** An argument for `cmd /c` (npm's rule, without the doubling for .cmd targets). */
function quoteCmd(input: string): string {
  if (input.length === 0) return '""'
  let result = input
  if (/[ \t\n\v"]/.test(input)) {
    result = '"'
    for (let i = 0; i <= input.length; ++i) {
      let slashes = 0
      while (input[i] === '\\') {
        ++i
        ++slashes
      }
      if (i === input.length) {
        result += '\\'.repeat(slashes * 2)
        break
      }
      result += input[i] === '"' ? `${'\\'.repeat(slashes * 2 + 1)}"` : `${'\\'.repeat(slashes)}${input[i]}`
    }
    result += '"'
  }
  return result.replace(/[ !%^&()<>|"]/g, '^$&')
}

/** The last lines of a stream of output, without keeping all of it. */
function createTail(lines: number): { push(chunk: Buffer): void; text(): string } {
  const limit = Math.max(4096, lines * 400)
  let kept = ''
  return {
    push(chunk) {
      kept += chunk.toString('utf8')
      if (kept.length > limit * 2) kept = kept.slice(-limit)
    },
    text() {
      const all = kept.replace(/\s+$/, '').split(/\r?\n/)
      return all.slice(-lines).join('\n')
    },
  }
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']
const running = new Set<ChildProcess>()

function forwardSignal(signal: NodeJS.Signals): void {
  for (const child of running) child.kill(signal)
}

/** npm's signal manager: SIGINT and SIGTERM go on to every running script. */
function forwardSignals(child: ChildProcess): () => void {
  if (running.size === 0) for (const signal of FORWARDED) process.on(signal, forwardSignal)
  running.add(child)
  return () => {
    if (!running.delete(child)) return
    if (running.size === 0) for (const signal of FORWARDED) process.off(signal, forwardSignal)
  }
}
