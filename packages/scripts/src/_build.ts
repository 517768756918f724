import { join } from 'node:path'
import { ToteError } from '@tote/types'
import type { BuildOptions, BuildPackage, BuildResult, ScriptResult } from './types.js'

/**
 * Runs the install scripts of dependencies: each package's events in order, a package only once
 * every package in its `after` list has finished, at most `concurrency` packages at once. A script
 * that fails in an optional package is reported in the result (the caller removes the package); in
 * any other package, no new package starts, the running ones finish, and the build fails with
 * `ESCRIPTFAILED`, naming the package, the script, its exit code and its log.
 */
export async function buildPackages(packages: BuildPackage[], options: BuildOptions): Promise<BuildResult> {
  const byPath = new Map(packages.map((pkg) => [pkg.path, pkg]))
  const waiting = new Map<string, Set<string>>()
  const dependents = new Map<string, string[]>()
  for (const pkg of packages) {
    const after = new Set(pkg.after.filter((path) => byPath.has(path) && path !== pkg.path))
    waiting.set(pkg.path, after)
    for (const path of after) {
      if (!dependents.has(path)) dependents.set(path, [])
      dependents.get(path)!.push(pkg.path)
    }
  }
  const ready = packages.filter((pkg) => waiting.get(pkg.path)!.size === 0).map((pkg) => pkg.path)
  const result: BuildResult = { built: [], failedOptional: [] }
  const concurrency = Math.max(1, options.concurrency)
  let running = 0
  let finished = 0
  let failure: ToteError | undefined

  return new Promise<BuildResult>((resolve, reject) => {
    const settle = () => {
      if (running > 0) return
      if (failure) reject(failure)
      else if (finished === packages.length || ready.length === 0) resolve(result)
    }
    const done = (path: string) => {
      finished++
      for (const next of dependents.get(path) ?? []) {
        const left = waiting.get(next)!
        left.delete(path)
        if (left.size === 0) ready.push(next)
      }
    }
    const pump = () => {
      while (!failure && running < concurrency && ready.length > 0 && !options.signal?.aborted) {
        const pkg = byPath.get(ready.shift()!)!
        running++
        buildOne(pkg, options).then(
          (failed) => {
            running--
            if (failed === undefined) {
              result.built.push(pkg.path)
              options.onBuilt?.(pkg.path)
            } else if (pkg.optional)
              result.failedOptional.push({ path: pkg.path, label: pkg.label, result: failed })
            else failure ??= scriptFailed(pkg, failed)
            done(pkg.path)
            pump()
            settle()
          },
          (error: unknown) => {
            running--
            failure ??= error instanceof ToteError ? error : toToteError(pkg, error)
            settle()
          },
        )
      }
      settle()
    }
    pump()
  })
}

/** Runs a package's events in order; returns the result of the one that failed, if any. */
async function buildOne(pkg: BuildPackage, options: BuildOptions): Promise<ScriptResult | undefined> {
  const started = performance.now()
  options.onEvent?.({ type: 'package-start', path: pkg.path, label: pkg.label })
  let failed: ScriptResult | undefined
  for (const { event, script } of pkg.scripts) {
    const result = await options.run({
      dir: pkg.dir,
      manifest: pkg.manifest,
      event,
      script,
      ...(pkg.env ? { env: pkg.env } : {}),
      stdio: options.stdio,
      logFile: join(options.logDir, `${logName(pkg.label)}-${event}.log`),
      label: pkg.label,
      ...(options.signal ? { signal: options.signal } : {}),
    })
    if (result.code !== 0 || result.signal !== null) {
      failed = result
      break
    }
  }
  options.onEvent?.({
    type: 'package-end',
    path: pkg.path,
    label: pkg.label,
    ok: failed === undefined,
    ms: performance.now() - started,
  })
  return failed
}

/** A file name for a package's log: `@s/x@1.0.0` → `@s+x@1.0.0`. */
function logName(label: string): string {
  return label.replace(/[/\\:]/g, '+')
}

/** How a script ended, in words: `exit code 3`, `signal SIGTERM`. */
export function howItEnded(result: Pick<ScriptResult, 'code' | 'signal'>): string {
  return result.signal ? `signal ${result.signal}` : `exit code ${result.code}`
}

function scriptFailed(pkg: BuildPackage, result: ScriptResult): ToteError {
  const log = result.logFile ? `; full log: ${result.logFile}` : ''
  const tail = result.tail ? `\n${result.tail.replace(/^/gm, '  | ')}` : ''
  return new ToteError(
    'ESCRIPTFAILED',
    `${pkg.label} ${result.event} script failed (${howItEnded(result)}): ${result.script}${log}${tail}`,
    {
      hint: `Fix what the script needs (its log says what went wrong), or deny it: \`tote install-scripts deny ${pkg.manifest.name ?? pkg.label}\`.`,
      details: {
        package: pkg.label,
        path: pkg.path,
        event: result.event,
        script: result.script,
        code: result.code,
        signal: result.signal,
        ...(result.logFile ? { logFile: result.logFile } : {}),
      },
    },
  )
}

function toToteError(pkg: BuildPackage, error: unknown): ToteError {
  return new ToteError(
    'ESCRIPTFAILED',
    `${pkg.label}: its scripts could not run: ${(error as Error).message}`,
    {
      hint: 'Check the script-shell setting and that the package folder exists.',
      cause: error,
      details: { package: pkg.label, path: pkg.path },
    },
  )
}
