import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '@tote/config'
import { readManifest } from '@tote/scripts'
import { ToteError } from '@tote/types'
import type { CommandContext } from '../_command-types.js'
import { usageError } from '../_errors.js'
import { configFlags } from '../_options.js'
import { createReporterFor } from '../_reporter.js'
import { runBin } from './exec.js'
import { run as install } from './install.js'

/**
 * `tote x <pkg>[@<range>] [args]` (npx, bunx, pnpm dlx): installs the package in a folder of the
 * cache (`<cache>/x/<hash of the spec>`, a project of its own with a package-lock.json, so that the
 * same spec later installs nothing), then runs its bin in the current folder. Its install scripts
 * follow the allowScripts policy: package.json of that folder approves the packages --allow-scripts
 * names; allow-scripts in an npmrc and --dangerously-allow-all-scripts apply as for an install.
 */
export async function run(context: CommandContext): Promise<number> {
  const [spec, ...args] = context.positionals
  if (spec === undefined) {
    throw usageError(
      'EUSAGE',
      'tote x needs the package to run.',
      'Run `tote x <pkg>[@<range>] [<args>...]`, e.g. `tote x cowsay hello`.',
    )
  }
  const { name, range } = parseSpec(spec)
  const allowed = [context.values['allow-scripts'] ?? []]
    .flat()
    .flatMap((value) => (typeof value === 'string' ? value.split(',') : []))
    .map((value) => value.trim())
    .filter(Boolean)
    .sort()
  const { 'allow-scripts': _cli, ...npmFlags } = context.npmFlags
  const { 'allow-scripts': _value, ...values } = context.values
  const config = await loadConfig({ cwd: context.cwd, flags: configFlags({ ...context, npmFlags }) })
  const reporter = createReporterFor(config)

  const key = createHash('sha256')
    .update(JSON.stringify([name, range, allowed]))
    .digest('hex')
    .slice(0, 16)
  const dir = join(config.cacheDir, 'x', key)
  mkdirSync(dir, { recursive: true })
  const manifest = `${JSON.stringify(
    {
      name: 'tote-x',
      version: '1.0.0',
      private: true,
      dependencies: { [name]: range },
      ...(allowed.length > 0 ? { allowScripts: Object.fromEntries(allowed.map((pkg) => [pkg, true])) } : {}),
    },
    null,
    2,
  )}\n`
  if (readText(join(dir, 'package.json')) !== manifest) writeFileSync(join(dir, 'package.json'), manifest)

  // The install, as `tote install` in that folder, silent (errors and skipped scripts still show) unless asked.
  const quiet = ['loglevel', 'silent', 'quiet', 'verbose'].every((flag) => npmFlags[flag] === undefined)
  const code = await install({
    command: 'exec',
    values: { ...values, cwd: dir },
    npmFlags: { ...npmFlags, ...(quiet ? { loglevel: 'silent' } : {}) },
    positionals: [],
    cwd: dir,
    importModule: context.importModule,
    approveHint: (names) =>
      `Review them, then run \`tote x --allow-scripts ${names.join(',')} ${spec}\` to run them, or allow-scripts=<names> in .npmrc.`,
  })
  if (code !== 0) return code

  const packageDir = join(dir, 'node_modules', ...name.split('/'))
  const bin = binOf(readManifest(packageDir) ?? {}, name)
  return runBin(config, reporter, {
    dir: context.cwd,
    script: `'${bin.replace(/'/g, `'\\''`)}'`,
    args,
    binPaths: [join(dir, 'node_modules', '.bin')],
  })
}

/** `name`, `name@range`, `@scope/name@range`; no range: `latest`. */
function parseSpec(spec: string): { name: string; range: string } {
  const at = spec.indexOf('@', 1)
  const name = at === -1 ? spec : spec.slice(0, at)
  const range = at === -1 ? 'latest' : spec.slice(at + 1) || 'latest'
  if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(name)) {
    throw usageError(
      'EUSAGE',
      `tote x takes a package name from the registry, not ${JSON.stringify(spec)}.`,
      'Name a package, with a version, range or tag if you like: `tote x cowsay@1 hello`.',
    )
  }
  return { name, range }
}

/** npm's choice of bin: the only one, else the one named as the package (without its scope). */
function binOf(manifest: Record<string, unknown>, name: string): string {
  const plain = name.replace(/^@[^/]+\//, '')
  const bin = manifest.bin
  const bins = typeof bin === 'string' ? [plain] : bin && typeof bin === 'object' ? Object.keys(bin) : []
  if (bins.length === 1) return bins[0]!
  if (bins.includes(plain)) return plain
  throw new ToteError('ENOBIN', `${name} has ${bins.length === 0 ? 'no bin' : `no bin named "${plain}"`}`, {
    hint:
      bins.length === 0
        ? `tote x runs a package's bin; ${name} has none.`
        : `Its bins: ${bins.join(', ')}. Install it in a project and run one with \`tote exec <bin>\`.`,
    details: { package: name, bins },
  })
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}
