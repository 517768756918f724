import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig, type ToteConfig } from '@tote/config'
import { readManifest } from '@tote/scripts'
import { ToteError } from '@tote/types'
import type { CommandContext } from '../_command-types.js'
import { usageError } from '../_errors.js'
import { configFlags } from '../_options.js'
import { createReporterFor, type Reporter } from '../_reporter.js'
import { createRunner } from '../_scripts.js'
import { closest } from '../_suggest.js'
import { chosenFolders, signalNumber, workspacesChosen } from './run.js'

/**
 * `tote exec <bin> [args]`: runs a bin of the project's dependencies as `npm exec` runs a local
 * one: through the script shell, in the current folder, with the project's node_modules/.bin
 * first on PATH and npm's script environment (`npm_lifecycle_event=npx`). `-c` runs a command
 * line instead. Nothing is downloaded: a bin that is not installed is an error.
 */
export async function run(context: CommandContext): Promise<number> {
  const call = typeof context.values.call === 'string' ? context.values.call : undefined
  const [bin, ...args] = context.positionals
  if (call !== undefined && context.positionals.length > 0) {
    throw usageError(
      'EUSAGE',
      'tote exec takes either -c "<command line>" or a bin and its arguments, not both.',
      'Run `tote exec --help`.',
    )
  }
  if (call === undefined && bin === undefined) {
    throw usageError(
      'EUSAGE',
      'tote exec needs the bin to run.',
      'Run `tote exec <bin> [-- <args>]`, e.g. `tote exec -- eslint --fix .`.',
    )
  }
  const config = await loadConfig({ cwd: context.cwd, flags: configFlags(context) })
  const reporter = createReporterFor(config)
  const rootBins = join(config.projectDir, 'node_modules', '.bin')
  // npm's -w/--workspaces: the bin run in each chosen workspace's folder, its own bins first.
  const folders = workspacesChosen(config)
    ? await chosenFolders(config, readManifest(config.projectDir) ?? {}, context.cwd)
    : [{ dir: context.cwd, label: undefined }]
  let exitCode = 0
  for (const folder of folders) {
    const binPaths =
      folder.label === undefined ? [rootBins] : [join(folder.dir, 'node_modules', '.bin'), rootBins]
    if (bin !== undefined) checkBin(bin, binPaths)
    // npm exec: the bin single-quoted so that the shell takes its name as it is, the arguments after it.
    const script = call ?? `'${bin!.replace(/'/g, `'\\''`)}'`
    const code = await runBin(config, reporter, {
      dir: folder.dir,
      script,
      args: call === undefined ? args : [],
      binPaths,
    })
    if (code !== 0 && exitCode === 0) exitCode = code
  }
  return exitCode
}

/** A bin in none of `binPaths` is ENOBIN, with the closest installed name. */
function checkBin(bin: string, binPaths: string[]): void {
  const bins = [...new Set(binPaths.flatMap(listBins))]
  if (bins.includes(bin)) return
  const guess = closest(bin, bins)
  throw new ToteError(
    'ENOBIN',
    `No bin named "${bin}" in ${binPaths.join(' or ')}${guess ? `. Did you mean "${guess}"?` : ''}`,
    {
      hint: `tote exec runs the bins of installed dependencies: add the package that provides "${bin}" to package.json and run \`tote install\`.${bins.length > 0 ? ` Installed: ${bins.slice(0, 10).join(', ')}${bins.length > 10 ? ', …' : ''}.` : ''}`,
      details: { bin, ...(guess ? { suggestion: guess } : {}) },
    },
  )
}

/**
 * Runs a bin (or a command line) as npm exec does: through the script shell in `dir`, sharing the
 * terminal, with `binPaths` first on PATH and `npm_lifecycle_event=npx`. Resolves to its exit code;
 * a bin killed by a signal kills tote with it.
 */
export async function runBin(
  config: ToteConfig,
  reporter: Reporter,
  request: { dir: string; script: string; args: string[]; binPaths: string[] },
): Promise<number> {
  const manifest = readManifest(request.dir) ?? {}
  const runner = createRunner(config, 'exec', reporter)
  const result = await runner({
    dir: request.dir,
    manifest: { ...manifest, scripts: { ...(manifest.scripts ?? {}), npx: request.script } },
    event: 'npx',
    script: request.script,
    args: request.args,
    binPaths: request.binPaths,
    stdio: 'inherit',
    label: '',
  })
  if (result.signal) {
    process.kill(process.pid, result.signal)
    await new Promise((resolve) => setTimeout(resolve, 500))
    return 128 + signalNumber(result.signal)
  }
  return result.code ?? 1
}

function listBins(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => !name.startsWith('.'))
  } catch {
    return []
  }
}
