import { existsSync, statSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ToteError } from '@tote/types'
import { fixtureWorkspaces } from './_workspaces.js'
import type { BenchOptions, Fixture, Phase, PmName, TrustedDependency, Variant } from './types.js'

export const ALL_PMS: readonly PmName[] = ['tote', 'npm', 'pnpm', 'bun', 'utoo']
/** Also the order phases run in within a round: lockfile-producing phases come first. */
export const ALL_PHASES: readonly Phase[] = [
  'p0_full_cold',
  'p1_resolve',
  'p3_cold_install',
  'p4_warm_link',
  'p5_add',
  'p6_run',
]
/** The phases run when --phases is not given: the installs (p5_add and p6_run only when asked for). */
export const DEFAULT_PHASES: readonly Phase[] = ALL_PHASES.filter(
  (phase) => phase !== 'p5_add' && phase !== 'p6_run',
)
/** What `p5_add` adds unless `--add-package` says otherwise: one package with no dependencies. */
export const DEFAULT_ADD_PACKAGE = 'zod'
export const DEFAULT_ROUNDS = 3
export const DEFAULT_MIN_FREE_GB = 20

export const USAGE = `Usage: pm-bench [options]

Times package managers installing a real project (see apps/bench/README.md).

Options:
  --pm <list>              Package managers, comma-separated (default: ${ALL_PMS.join(',')})
  --fixture <path>         Project folder or its package.json (default: ../shared/fixtures/vite-react-ts from the repo root)
  --phases <list>          Phases, comma-separated (default: ${DEFAULT_PHASES.join(',')}; also p5_add, p6_run)
  --add-package <spec>     What p5_add adds to the warm project (default: ${DEFAULT_ADD_PACKAGE})
  --rounds <n>             Recorded rounds after the warm-up round (default: ${DEFAULT_ROUNDS})
  --pm-rounds <pm=n>       Record at most n rounds of this package manager (its warm-up still runs),
                           for one too slow for every round (npm=1); comma-separated, repeatable
  --trust <name[@range]>   Run install scripts, this dependency's approved through each package
                           manager's own mechanism (npm and tote: allowScripts; pnpm: allowBuilds;
                           bun: trustedDependencies; utoo: n/a); with a range, it is added to the
                           fixture's dependencies when missing; comma-separated, repeatable
  --variant <NAME=flags>   Also run tote with these extra flags (and leading VAR=value words as its
                           environment), shown as tote[NAME]; a word or value starting with ./ or ../
                           is a path from the current folder; repeatable
  --build <NAME=path>      Also run another build of tote (its bin/tote.js, or a checkout of the
                           repository), shown as tote[NAME]; repeatable
  --out <dir>              Results folder (default: <repo>/bench-results)
  --tools <dir>            Where peers get installed (default: $TOTE_BENCH_TOOLS or ~/.cache/tote-bench/tools)
  --min-free-gb <n>        Free disk space below which finished runs' folders are deleted (default: ${DEFAULT_MIN_FREE_GB})
  --keep                   Keep every run's project and cache folders
  --render <dir>           Run nothing: write results.md and results.svg again from <dir>/results.json
  -h, --help               Show this help
`

/** A bad command line: main prints the message and points at --help. */
export function usageError(message: string): ToteError {
  return new ToteError('EUSAGE', message, { hint: 'Run `pm-bench --help`.', details: { usage: true } })
}

export interface ArgsEnvironment {
  repoRoot: string
  cwd: string
  home: string
  env: Record<string, string | undefined>
}

export function parseBenchArgs(argv: string[], environment: ArgsEnvironment): BenchOptions {
  let parsed: ReturnType<typeof parseRaw>
  try {
    parsed = parseRaw(argv)
  } catch (error) {
    throw usageError(error instanceof Error ? error.message : String(error))
  }
  const { values, positionals } = parsed
  if (positionals.length > 0) throw usageError(`Unexpected argument "${positionals[0]}".`)
  const { repoRoot, cwd } = environment
  const toolsDir = resolve(
    cwd,
    values.tools ??
      environment.env.TOTE_BENCH_TOOLS ??
      join(environment.home, '.cache', 'tote-bench', 'tools'),
  )
  if (isInside(repoRoot, toolsDir)) {
    throw usageError(`The tools folder ${toolsDir} is inside the repository; pick one outside it.`)
  }
  const variants = parseVariants(values.variant ?? [], cwd)
  return {
    help: values.help ?? false,
    pms: parseList(values.pm, ALL_PMS, 'package manager'),
    fixture: resolveFixture(
      values.fixture ?? join(repoRoot, '..', 'shared', 'fixtures', 'vite-react-ts'),
      cwd,
    ),
    phases: sortPhases(
      values.phases === undefined ? [...DEFAULT_PHASES] : parseList(values.phases, ALL_PHASES, 'phase'),
    ),
    rounds: parsePositiveInteger(values.rounds, DEFAULT_ROUNDS, '--rounds'),
    pmRounds: parsePmRounds(values['pm-rounds'] ?? []),
    variants: [...variants, ...parseBuilds(values.build ?? [], cwd, variants)],
    outDir: resolve(cwd, values.out ?? join(repoRoot, 'bench-results')),
    toolsDir,
    keep: values.keep ?? false,
    render: values.render === undefined ? undefined : resolve(cwd, values.render),
    minFreeBytes:
      parsePositiveInteger(values['min-free-gb'], DEFAULT_MIN_FREE_GB, '--min-free-gb') * 1024 ** 3,
    addPackage: parseAddPackage(values['add-package']),
    trust: parseTrust(values.trust ?? []),
  }
}

function parseRaw(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      pm: { type: 'string', multiple: true },
      fixture: { type: 'string' },
      phases: { type: 'string', multiple: true },
      rounds: { type: 'string' },
      'pm-rounds': { type: 'string', multiple: true },
      'add-package': { type: 'string' },
      trust: { type: 'string', multiple: true },
      variant: { type: 'string', multiple: true },
      build: { type: 'string', multiple: true },
      out: { type: 'string' },
      tools: { type: 'string' },
      'min-free-gb': { type: 'string' },
      keep: { type: 'boolean' },
      render: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}

function parseList<T extends string>(given: string[] | undefined, known: readonly T[], what: string): T[] {
  if (given === undefined) return [...known]
  const names = given.flatMap((item) => item.split(',')).map((name) => name.trim())
  const result: T[] = []
  for (const name of names) {
    if (name === '') continue
    if (!known.includes(name as T)) {
      throw usageError(`Unknown ${what} "${name}" (known: ${known.join(', ')}).`)
    }
    if (!result.includes(name as T)) result.push(name as T)
  }
  if (result.length === 0) throw usageError(`No ${what} given.`)
  return result
}

function parseAddPackage(given: string | undefined): string {
  if (given === undefined) return DEFAULT_ADD_PACKAGE
  // a registry spec: name, name@range or name@tag; nothing a shell or a package manager reads as a flag
  if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(@[\w.^~<>=| *-]+)?$/i.test(given)) {
    throw usageError(
      `--add-package takes a package name, with an optional @version or @tag (got "${given}").`,
    )
  }
  return given
}

/** `--trust bcrypt`, `--trust bcrypt@^5.1.1,@scope/addon`: names, each with an optional range. */
export function parseTrust(given: string[]): TrustedDependency[] {
  const trust: TrustedDependency[] = []
  for (const item of given.flatMap((text) => text.split(',')).map((text) => text.trim())) {
    if (item === '') continue
    const match = /^((?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*)(?:@([\w.^~<>=| *-]+))?$/i.exec(item)
    if (match === null) {
      throw usageError(`--trust takes a package name, with an optional @range (got "${item}").`)
    }
    const name = match[1]!
    if (trust.some((entry) => entry.name === name)) throw usageError(`--trust names ${name} twice.`)
    trust.push({ name, range: match[2] })
  }
  return trust
}

/** `--pm-rounds npm=1,pnpm=2`: a cap on the recorded rounds of each package manager named. */
export function parsePmRounds(given: string[]): Partial<Record<PmName, number>> {
  const caps: Partial<Record<PmName, number>> = {}
  for (const item of given.flatMap((text) => text.split(',')).map((text) => text.trim())) {
    if (item === '') continue
    const [name = '', count] = item.split('=')
    if (!ALL_PMS.includes(name as PmName) || count === undefined) {
      throw usageError(`--pm-rounds takes PM=n with PM one of ${ALL_PMS.join(', ')} (got "${item}").`)
    }
    caps[name as PmName] = parsePositiveInteger(count, 1, '--pm-rounds')
  }
  return caps
}

function sortPhases(phases: Phase[]): Phase[] {
  return [...phases].sort((a, b) => ALL_PHASES.indexOf(a) - ALL_PHASES.indexOf(b))
}

function parsePositiveInteger(given: string | undefined, fallback: number, flag: string): number {
  if (given === undefined) return fallback
  if (!/^\d+$/.test(given) || Number(given) < 1) {
    throw usageError(`${flag} takes a whole number of at least 1, not "${given}".`)
  }
  return Number(given)
}

/** `NAME=rest` of a `--variant` or `--build`, its name checked. */
function namedItem(item: string, flag: string, form: string, taken: readonly Variant[]) {
  const equals = item.indexOf('=')
  const name = equals === -1 ? '' : item.slice(0, equals)
  if (!/^[A-Za-z0-9][\w.-]*$/.test(name)) {
    throw usageError(`${flag} takes NAME=${form} (NAME: letters, digits, . _ -), not "${item}".`)
  }
  if (taken.some((variant) => variant.name === name)) {
    throw usageError(`Variant "${name}" is given twice.`)
  }
  return { name, rest: item.slice(equals + 1) }
}

/**
 * A word that is a relative path (`./x`, `../x`), or ends in one after its first `=`
 * (`extractor=./x`, `--cloner=./x`), with that path made absolute from `cwd`: every tote run
 * starts in a fresh project folder, where the path would name nothing.
 */
function absolutePaths(word: string, cwd: string): string {
  const match = /^([^=]*=)?(\.\.?\/.*)$/.exec(word)
  if (match === null) return word
  return `${match[1] ?? ''}${resolve(cwd, match[2]!)}`
}

/**
 * `NAME=--flag value` → `{ name, args, env }`; the flags are split like a shell would (quotes group
 * words), and leading `VAR=value` words set environment variables, as before a shell command. With
 * `cwd`, relative paths (a word, or a word's value after `=`, starting with `./` or `../`) are made
 * absolute from there.
 */
export function parseVariants(given: string[], cwd?: string): Variant[] {
  const variants: Variant[] = []
  for (const item of given) {
    const { name, rest } = namedItem(item, '--variant', "'--flag value'", variants)
    const words = splitWords(rest)
    const args = cwd === undefined ? words : words.map((word) => absolutePaths(word, cwd))
    const env: Record<string, string> = {}
    while (args.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(args[0]!)) {
      const assignment = args.shift()!
      const at = assignment.indexOf('=')
      env[assignment.slice(0, at)] = assignment.slice(at + 1)
    }
    if (args.length === 0 && Object.keys(env).length === 0)
      throw usageError(`Variant "${name}" has no flags.`)
    variants.push({ name, args, env })
  }
  return variants
}

/**
 * `NAME=path` → a variant that runs the tote at `path` (from `cwd`): its `bin/tote.js`, a folder of
 * the CLI package (apps/cli, holding bin/tote.js) or a checkout of the repository.
 */
export function parseBuilds(given: string[], cwd: string, taken: readonly Variant[] = []): Variant[] {
  const builds: Variant[] = []
  for (const item of given) {
    const { name, rest } = namedItem(item, '--build', 'path', [...taken, ...builds])
    const path = resolve(cwd, rest)
    const bin = [path, join(path, 'bin', 'tote.js'), join(path, 'apps', 'cli', 'bin', 'tote.js')].find(
      (candidate) => existsSync(candidate) && statSync(candidate).isFile(),
    )
    if (bin === undefined) {
      throw usageError(`--build ${name}: ${path} is neither tote's bin/tote.js nor a folder holding one.`)
    }
    builds.push({ name, args: [], env: {}, bin })
  }
  return builds
}

export function splitWords(text: string): string[] {
  const words: string[] = []
  let current: string | undefined
  let quote: string | undefined
  for (const char of text) {
    if (quote !== undefined) {
      if (char === quote) quote = undefined
      else current += char
    } else if (char === '"' || char === "'") {
      quote = char
      current ??= ''
    } else if (/\s/.test(char)) {
      if (current !== undefined) words.push(current)
      current = undefined
    } else {
      current = (current ?? '') + char
    }
  }
  if (quote !== undefined) throw usageError(`Unclosed ${quote} in "${text}".`)
  if (current !== undefined) words.push(current)
  return words
}

/** A folder holding package.json, or the package.json itself. */
export function resolveFixture(given: string, cwd: string): Fixture {
  const path = resolve(cwd, given)
  if (!existsSync(path)) throw usageError(`Fixture ${path} does not exist.`)
  const dir = statSync(path).isDirectory() ? path : dirname(path)
  const packageJsonPath = statSync(path).isDirectory() ? join(path, 'package.json') : path
  if (basename(packageJsonPath) !== 'package.json' || !existsSync(packageJsonPath)) {
    throw usageError(`Fixture ${path} is neither a folder with a package.json nor a package.json.`)
  }
  const npmrcPath = join(dir, '.npmrc')
  const workspaces = fixtureWorkspaces(dir, packageJsonPath)
  return {
    name: basename(dir),
    dir,
    packageJsonPath,
    npmrcPath: existsSync(npmrcPath) ? npmrcPath : undefined,
    ...(workspaces.folders.length > 0 ? { workspaces } : {}),
  }
}

function isInside(parent: string, child: string): boolean {
  const path = relative(parent, child)
  return path === '' || (!path.startsWith('..') && !isAbsolute(path))
}
