/** The package managers pm-bench can drive. */
export type PmName = 'tote' | 'npm' | 'pnpm' | 'bun' | 'utoo'

/**
 * What one timed run starts from (there is no p2):
 * - `p0_full_cold`: no lockfile, empty cache, no node_modules; a full install.
 * - `p1_resolve`: the same state; resolve and write the lockfile only.
 * - `p3_cold_install`: the package manager's own lockfile, empty cache, no node_modules.
 * - `p4_warm_link`: its own lockfile, a cache filled by an earlier install, no node_modules.
 * - `p5_add`: a warm project (its own lockfile, a filled cache, node_modules installed from them);
 *   adds one package (`--add-package`), as `tote add`, `npm install <pkg>`, `pnpm add`, `bun add`.
 * - `p6_run`: the fixture's package.json with a script `true` added, nothing installed; runs that
 *   script (`<pm> run pm-bench-true`): the start-up cost of a package manager's `run`. Not in the
 *   default phases.
 */
export type Phase = 'p0_full_cold' | 'p1_resolve' | 'p3_cold_install' | 'p4_warm_link' | 'p5_add' | 'p6_run'

/** Extra tote flags, or another build of tote, run as a row of their own, `tote[name]`. */
export interface Variant {
  name: string
  args: string[]
  /** Environment variables set for this variant's runs. */
  env: Record<string, string>
  /**
   * Another build of tote to run instead of this repository's (`--build`): the absolute path of its
   * `bin/tote.js`. Undefined: this repository's CLI.
   */
  bin?: string
}

/** One row of a table: a package manager, tote with a variant's flags, or the `node -e 0` reference. */
export type Contender = PmContender | ReferenceContender

/** A package manager's row, or tote's with a variant's flags. */
export interface PmContender {
  /** `npm`, `tote`, `tote[name]`. */
  key: string
  pm: PmName
  variant?: Variant
}

/**
 * The reference row: `node -e 0` with the Node that runs tote, timed through the same wrappers as
 * every run, so that "tote's time minus Node's own start-up" can be read from one run. It installs
 * nothing and is never the fastest of a phase.
 */
export interface ReferenceContender {
  key: 'node -e 0'
  pm: 'node'
  variant?: undefined
}

/** The project whose package.json (and .npmrc) every run installs. */
export interface Fixture {
  name: string
  dir: string
  packageJsonPath: string
  /** The fixture's .npmrc, copied next to package.json in every run's project folder. */
  npmrcPath: string | undefined
  /**
   * An npm-workspaces monorepo's `workspaces` globs and the folders they match (relative), whose
   * package.json files are copied too; empty for a single-package project.
   */
  workspaces?: { patterns: string[]; folders: string[] }
}

/** Parsed command line. */
export interface BenchOptions {
  help: boolean
  pms: PmName[]
  fixture: Fixture
  phases: Phase[]
  rounds: number
  /** `--pm-rounds`: at most this many recorded rounds for the package managers named (fewer than `rounds`). */
  pmRounds: Partial<Record<PmName, number>>
  variants: Variant[]
  /** Results go to `<outDir>/<timestamp>-<fixture>/`. */
  outDir: string
  /** Peers are installed into `<toolsDir>/<pm>@<version>`. */
  toolsDir: string
  keep: boolean
  /** Run nothing: render results.md and results.svg again from this results folder's results.json. */
  render: string | undefined
  /** Below this much free disk space (bytes) finished runs' folders are deleted before the next run. */
  minFreeBytes: number
  /** The spec `p5_add` adds (default `zod`). */
  addPackage: string
  /**
   * `--trust`: dependencies whose install scripts run, each approved through its package manager's
   * own mechanism; every other script stays unapproved. Empty: scripts off for everyone.
   */
  trust: TrustedDependency[]
}

/** A dependency approved to run its install scripts (`--trust name` or `--trust name@range`). */
export interface TrustedDependency {
  name: string
  /** Added to the fixture's `dependencies` when it does not depend on `name` itself. */
  range: string | undefined
}

/** After an install with `--trust`: whether a trusted dependency was built and loads. */
export interface TrustedCheck {
  name: string
  /** `require(name)` succeeded in the project folder. */
  loads: boolean
  /** Compiled addons (`.node` files) in its folder. */
  nativeFiles: number
  /** It has a binding.gyp: a native build must leave a `.node` file. */
  hasBindingGyp: boolean
  /** Why it does not load. */
  error?: string
}

/** How to start a package manager: a program and the arguments before the subcommand. */
export interface ToolCommand {
  command: string
  args: string[]
  /** Extra environment the program needs (e.g. utoo's package root). */
  env: Record<string, string>
}

/** A full command line for one run, before the isolation and timing wrappers. */
export interface PmCommand {
  command: string
  args: string[]
  env: Record<string, string>
}

/** What GNU time reports for one process tree. */
export interface TimeMeasures {
  wallSeconds: number
  userSeconds: number
  sysSeconds: number
  maxRssKb: number
  voluntaryCtx: number
  involuntaryCtx: number
  exitCode: number
  /** Set when the command was killed by a signal. */
  signal: number | undefined
}

/** Sizes measured after a run, untimed. */
export interface AfterMeasures {
  /** Regular files under node_modules (symlinks not followed), or undefined without node_modules. */
  nodeModulesFiles: number | undefined
  nodeModulesBytes: number | undefined
  cacheBytes: number
  lockfileBytes: number | undefined
}

/** Whether a run did what its phase asks. */
export interface RunChecks {
  lockfileWritten: boolean
  /** Direct dependencies and devDependencies without `node_modules/<name>/package.json`. */
  missingDependencies: string[]
  /** Optional dependencies not installed; reported, never a failure (they may not fit this platform). */
  missingOptional: string[]
  /** With `--trust`, in phases that install: each trusted dependency's build and load check. */
  trusted?: TrustedCheck[]
}

/** One run as written to results.json. */
export interface RunRecord {
  contender: string
  /** `node` for the `node -e 0` reference row. */
  pm: PmName | 'node'
  variant: string | undefined
  phase: Phase
  /** 0 is the warm-up round, never shown in the tables. */
  round: number
  warmup: boolean
  status: 'ok' | 'fail'
  /** The command line, with the registry replaced by `<registry>`. */
  argv: string[]
  exitCode: number | undefined
  time: TimeMeasures | undefined
  after: AfterMeasures | undefined
  checks: RunChecks | undefined
  /** Why the run failed, and the end of its stderr. */
  error: string | undefined
  stderrTail: string | undefined
}
