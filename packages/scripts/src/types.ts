/** The fields of a package.json that scripts and their environment read. */
export interface ScriptManifest {
  name?: string
  version?: string
  scripts?: Record<string, unknown>
  /** `false` turns off npm's implicit `node-gyp rebuild` for a package with a binding.gyp. */
  gypfile?: boolean
  /** Exported to scripts as `npm_package_config_*`. */
  config?: unknown
  /** Exported to scripts as `npm_package_engines_*`. */
  engines?: unknown
  /** Exported to scripts as `npm_package_bin_*`. */
  bin?: unknown
  [key: string]: unknown
}

/** What the environment of one script is made from (npm's `@npmcli/run-script` rules). */
export interface ScriptEnvInput {
  /**
   * The environment every script starts from: the process's, with npm's configuration exported
   * (see {@link scriptBaseEnv}).
   */
  baseEnv: Record<string, string | undefined>
  /** The package folder; the script runs there. */
  dir: string
  manifest: ScriptManifest
  event: string
  /** The command line, as `npm_lifecycle_script`. */
  script: string
  /** More variables, applied after the package's (install scripts get `npm_package_resolved`…). */
  extraEnv?: Record<string, string>
  /** Folders put on PATH before every `node_modules/.bin` (npm exec's). */
  binPaths?: string[]
  /** The folder of the `node-gyp` shim, put on PATH after the `node_modules/.bin` folders. */
  nodeGypBinDir?: string
}

/** What {@link scriptBaseEnv} adds to the process's environment. */
export interface ScriptBaseEnvInput {
  /** The process's environment (`process.env`). */
  processEnv: Record<string, string | undefined>
  /**
   * npm's configuration as npm exports it (`npm_config_*` of every value that is not the default,
   * `INIT_CWD`, `HOME`, `npm_config_global_prefix`, `npm_config_local_prefix`…): `@tote/config`'s
   * `exportedEnv()`.
   */
  configEnv: Record<string, string>
  /** The package manager's entry script, as `npm_execpath` (tote's bin). */
  execPath: string
  /** The Node binary, as `npm_node_execpath` and `NODE`. Default `process.execPath`. */
  nodeExecPath?: string
  /** `npm_config_user_agent`: `tote/1.0.0 node/v20.0.0 linux x64 workspaces/false`. */
  userAgent: string
  /** The command that runs the scripts, as `npm_command` (`install`, `ci`, `run`, `exec`). */
  command: string
  /** The node-gyp script (`…/node-gyp/bin/node-gyp.js`), as `npm_config_node_gyp`; '' when none. */
  nodeGyp: string | undefined
}

/** One lifecycle event of one package, to run. */
export interface ScriptRequest {
  /** The package folder (absolute). The script runs there. */
  dir: string
  manifest: ScriptManifest
  /** `postinstall`, `test`, `npx`… */
  event: string
  /**
   * The command line. Default: `manifest.scripts[event]`, and for `install`, npm's implicit
   * `node-gyp rebuild` when the folder has a binding.gyp and the package no install or
   * preinstall script (nor `gypfile: false`).
   */
  script?: string
  /** Arguments appended to the command line, each quoted for the shell. */
  args?: string[]
  /** Extra environment variables for this script. */
  env?: Record<string, string>
  /** Folders put first on PATH. */
  binPaths?: string[]
  /**
   * `pipe` (default): output is kept (its tail in the result, all of it in `logFile`); `inherit`:
   * the script shares tote's terminal.
   */
  stdio?: 'pipe' | 'inherit'
  /** With `pipe`: where the whole output goes (created with its folder, replaced if it exists). */
  logFile?: string
  /** Aborting sends SIGTERM to the script. */
  signal?: AbortSignal
  /** Shown in events: `dep@1.0.0`. Default: name@version from the manifest. */
  label?: string
}

/** How one script ended. */
export interface ScriptResult {
  event: string
  /** The command line that ran; undefined when the package has no script for the event. */
  script: string | undefined
  /** The exit code; null when a signal ended it. 0 when nothing ran. */
  code: number | null
  signal: NodeJS.Signals | null
  /** With `pipe`: the last lines of output (stdout and stderr as they came). */
  tail: string
  logFile: string | undefined
  /** How long it ran, in ms. */
  ms: number
}

/** What the runner tells its caller; it never prints. */
export type ScriptEvent =
  | {
      type: 'script-start'
      label: string
      dir: string
      event: string
      script: string
      args: string[]
      stdio: 'pipe' | 'inherit'
    }
  | {
      type: 'script-end'
      label: string
      dir: string
      event: string
      script: string
      code: number | null
      signal: NodeJS.Signals | null
      ms: number
      logFile: string | undefined
    }

export interface ScriptRunnerOptions {
  /** The environment scripts start from (see {@link scriptBaseEnv}). */
  env: Record<string, string | undefined>
  /** npm's `script-shell`; default `sh` (`cmd.exe` on Windows). */
  shell?: string
  /** The folder of the node-gyp shim (see {@link writeNodeGypShim}). */
  nodeGypBinDir?: string
  /** Lines of output kept in {@link ScriptResult.tail}. Default 20. */
  tailLines?: number
  onEvent?: (event: ScriptEvent) => void
}

/** Runs one lifecycle event of one package; resolves however the script ends. */
export type ScriptRunner = (request: ScriptRequest) => Promise<ScriptResult>

/** The install scripts of a package, by event, as npm lists them. */
export type InstallScripts = Partial<Record<'preinstall' | 'install' | 'postinstall' | 'prepare', string>>

/**
 * An installed package as the allowScripts policy sees it: by the identity npm trusts (the name
 * and version in its registry tarball URL), never by its own package.json.
 */
export interface PolicyPackage {
  /** The install path, `node_modules/a`. */
  path: string
  /** The lockfile's `resolved`, when it has one. */
  resolved?: string | undefined
  /**
   * True when every dependency on it is a registry spec (npm's `isRegistryDependency`): a version,
   * range, tag or `npm:` alias, no URL, git or file spec.
   */
  registry: boolean
  /** The name its dependents use (the real name behind an `npm:` alias), for a missing `resolved`. */
  edgeName?: string | undefined
  /** Inside another package's bundle: such scripts never run and cannot be approved. */
  inBundle?: boolean
}

/** The trusted identity of a package, or null when there is none. */
export interface TrustedIdentity {
  name: string
  /** Null when it cannot be known (a lockfile without `resolved`). */
  version: string | null
}

/** A package.json `allowScripts` map, or a policy made from config: key → allowed. */
export type AllowScriptsMap = Record<string, boolean>

/** Where the policy in force comes from (npm's precedence: flags and env, package.json, npmrc). */
export type PolicySource = 'cli' | 'package.json' | '.npmrc' | null

/**
 * What tote does with a dependency whose install scripts no policy entry covers. npm runs them
 * and prints a notice (`run`); tote skips them and names them at the end (`skip`, the default);
 * `fail` is npm's `strict-allow-scripts`.
 */
export type UnreviewedMode = 'skip' | 'run' | 'fail'

/** The settings the policy is made of. */
export interface PolicyInput {
  /** The project's package.json (`allowScripts`, and bun's `trustedDependencies`). */
  manifest: { allowScripts?: unknown; trustedDependencies?: unknown }
  /** npm's `allow-scripts` value and the layer it came from (`cli`, `env`, `project`, `user`…). */
  allowScripts?: { value: unknown; layer: string | null } | undefined
  ignoreScripts?: boolean
  dangerouslyAllowAllScripts?: boolean
  strictAllowScripts?: boolean
  /** Default `skip`; `strictAllowScripts` makes it `fail`. */
  unreviewed?: UnreviewedMode
  /** False for `npm exec`-like and global contexts, where the `allow-scripts` flag is allowed. */
  projectScoped?: boolean
}

/** A warning of the policy (an entry it ignores, a layer another one overrides). */
export interface PolicyWarning {
  code: 'EALLOWSCRIPTSENTRY' | 'EALLOWSCRIPTSIGNORED'
  message: string
}

/** The policy in force for one install. */
export interface ScriptPolicy {
  /** The entries that count, after npm's validation. Null when no layer has any. */
  entries: AllowScriptsMap | null
  source: PolicySource
  /** True when `trustedDependencies` contributed entries. */
  fromTrustedDependencies: boolean
  warnings: PolicyWarning[]
  ignoreScripts: boolean
  dangerouslyAllowAllScripts: boolean
  unreviewed: UnreviewedMode
}

/**
 * What happens to a package's install scripts: `run`; `denied` by a `false` entry (skipped without
 * a word, as npm does); `unreviewed` (no entry: skipped and named, or run, or an error, by
 * {@link UnreviewedMode}); `ignored` (ignore-scripts).
 */
export type ScriptVerdict = 'run' | 'denied' | 'unreviewed' | 'ignored'

/** One `{ key, change }` of an `install-scripts` edit, as npm reports it. */
export interface AllowScriptsChange {
  key: string
  change: 'added' | 'removed-stale' | 'removed-pinned-allow' | 'replaced-by-pin'
}

/** An edit of the allowScripts map for one package. */
export interface AllowScriptsEdit {
  /** The new map (the input is never changed). */
  allowScripts: AllowScriptsMap
  changes: AllowScriptsChange[]
  /** Why nothing was approved (a denial in the way), as npm words it. */
  warning?: string
}

/** An installed package with install scripts, for `install-scripts prune`. */
export interface PruneCandidate {
  pkg: PolicyPackage
  hasScripts: boolean
}

/** An entry `install-scripts prune` removes, and why. */
export interface PrunedEntry {
  key: string
  value: boolean
  reason: 'not-installed' | 'no-scripts'
}

/** A package that may have install scripts to run, with what orders it. */
export interface BuildPackage {
  /** Install path, `node_modules/a`: the key. */
  path: string
  dir: string
  manifest: ScriptManifest
  /** The events to run, in order (`preinstall`, `install`, `postinstall`), each with its script. */
  scripts: { event: string; script: string }[]
  /** Extra variables: npm_package_resolved, _integrity, _optional, _dev, _peer, _dev_optional. */
  env?: Record<string, string>
  /** A failure removes the package with a warning instead of failing the install. */
  optional: boolean
  /** Install paths of the packages whose scripts must end before these start. */
  after: string[]
  /** `name@version`, for events and errors. */
  label: string
}

/** What the build of dependencies reports as it goes. */
export type BuildEvent =
  | { type: 'package-start'; path: string; label: string }
  | { type: 'package-end'; path: string; label: string; ok: boolean; ms: number }

/** How a build of dependencies ended. */
export interface BuildResult {
  /** Install paths whose scripts all ran and exited 0. */
  built: string[]
  /** Optional packages whose script failed: the caller removes them. */
  failedOptional: { path: string; label: string; result: ScriptResult }[]
}

export interface BuildOptions {
  /** Runs one script (a {@link ScriptRunner}). */
  run: ScriptRunner
  /** At most this many packages' scripts at once. */
  concurrency: number
  /** `pipe` keeps output per package (in logDir); `inherit` shares the terminal (foreground-scripts). */
  stdio: 'pipe' | 'inherit'
  /** Where each script's log goes: `<logDir>/<name>@<version>-<event>.log`. */
  logDir: string
  /** Called after each package that succeeded, e.g. to record that its scripts ran. */
  onBuilt?: (path: string) => void
  onEvent?: (event: BuildEvent) => void
  signal?: AbortSignal
}

/** A lockfile package seen through its dependency edges. */
export interface GraphPackage {
  path: string
  /** Install paths of what it depends on (dependencies, optional and peer), resolved as Node would. */
  dependencies: string[]
  policy: PolicyPackage
  /** `true` / `false` flags of the lockfile entry, for the script environment. */
  dev: boolean
  optional: boolean
  devOptional: boolean
  peer: boolean
}
