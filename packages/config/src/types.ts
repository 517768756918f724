import type { OmitType } from '@tote/types'

/** One command-line flag's value, as the CLI's argument parser hands it over. */
export type ConfigFlagValue = string | boolean | string[] | undefined

/**
 * Command-line flags by npm's config name (`registry`, `ignore-scripts`, `omit`, …) plus tote's own
 * `cache-dir`. `false` means `--no-<name>`, an array repeats the flag, `undefined` means not given.
 */
export type ConfigFlags = Record<string, ConfigFlagValue>

/** Options for {@link ToteConfig} loading (`loadConfig`). */
export interface LoadConfigOptions {
  /** The folder tote runs in; the project root is found by walking up from here. */
  cwd: string
  /** Environment to read `npm_config_*`, `${VAR}`, proxy variables, `NODE_ENV`… from. Default `process.env`. */
  env?: NodeJS.ProcessEnv
  /** Command-line flags, highest precedence. */
  flags?: ConfigFlags
  /** Home folder for `~/.npmrc`, `~/` in paths and the default cache. Default: `env.HOME`, else the OS's. */
  homedir?: string
  /**
   * Folder of an npm installation whose built-in `npmrc` (npm's "builtin" layer, used by some
   * distributions) should be read. Omitted: there is no builtin layer.
   */
  npmPath?: string
}

/** npm's config layers, lowest precedence first. */
export type ConfigLayer = 'default' | 'builtin' | 'global' | 'user' | 'project' | 'env' | 'cli'

/** One npmrc file that loading looked at (for `--verbose`). */
export interface ConfigSourceFile {
  layer: 'builtin' | 'global' | 'user' | 'project'
  /** Absolute path of the file. */
  path: string
  /** True when the file was read; false when it does not exist or could not be read. */
  found: boolean
  /** Error code when the file exists but could not be read (npm skips such a file too). */
  error?: string
}

/** The configuration tote runs with: npm's settings, resolved and typed. */
export interface ToteConfig {
  /** Default registry URL, always ending in `/`. */
  registry: string
  /** `@scope` → registry URL (ending in `/`), from `@scope:registry` keys. */
  scopedRegistries: Record<string, string>
  /** Tote's cache folder: `--cache-dir`, else `TOTE_CACHE_DIR`, else `$XDG_CACHE_HOME/tote`, else `~/.cache/tote`. */
  cacheDir: string
  /** `strict-ssl`: verify registry TLS certificates. */
  strictSSL: boolean
  /**
   * Trusted certificate authorities in PEM, one per entry: from `cafile` (read and split), else `ca`.
   * When both are set the one from the higher-precedence layer wins (`cafile` on a tie).
   * Undefined: use Node's default trust store.
   */
  ca: string[] | undefined
  /**
   * Proxy for `http:` requests, by npm's order: config `https-proxy`, config `proxy`, then the
   * environment's `https_proxy`, `http_proxy`, `proxy` (variable names matched case-insensitively; when
   * two spellings are both set, the later one in the environment wins, as in npm).
   */
  proxy: string | undefined
  /** Proxy for `https:` requests: config `https-proxy`, config `proxy`, then the environment's `https_proxy`. */
  httpsProxy: string | undefined
  /** Hosts (domain suffixes) that bypass the proxy: config `noproxy`, else the environment's `no_proxy`. */
  noProxy: string[]
  /** `legacy-peer-deps`: ignore peerDependencies when building the tree. */
  legacyPeerDeps: boolean
  /**
   * Dependency types to leave out, from `omit`, minus `include`, with `NODE_ENV=production` meaning
   * `omit=dev` when `omit` is not configured (and the deprecated `production`, `only`, `also`, `dev`,
   * `optional` keys), as npm computes it.
   */
  omit: OmitType[]
  /**
   * npm's `before`: versions published after this time are not picked. `min-release-age` (days)
   * sets it to that many days before now; when both are set, the one from the higher layer wins,
   * `before` in the same layer (npm's rule). Undefined when neither is set.
   */
  before: Date | undefined
  /** `min-release-age-exclude`: package names or globs (`@myorg/*`) that {@link ToteConfig.before} does not apply to. */
  releaseAgeExclude: string[]
  /** `ignore-scripts`: run no lifecycle scripts. */
  ignoreScripts: boolean
  /** `offline`: never touch the network. */
  offline: boolean
  /** `prefer-offline`: use cached metadata without revalidating. */
  preferOffline: boolean
  /** `prefer-online`: always revalidate cached metadata. */
  preferOnline: boolean
  /** `omit-lockfile-registry-resolved`: leave `resolved` out of lockfile entries from the registry. */
  omitLockfileRegistryResolved: boolean
  /** `fetch-retries`: retries after a failed request. */
  fetchRetries: number
  /** `fetch-retry-factor`: exponential backoff factor. */
  fetchRetryFactor: number
  /** `fetch-retry-mintimeout` in ms. */
  fetchRetryMinTimeout: number
  /** `fetch-retry-maxtimeout` in ms. */
  fetchRetryMaxTimeout: number
  /** `fetch-timeout` in ms. */
  fetchTimeout: number
  /** `maxsockets`: most connections at once (npm's default, 15, when nobody set it). */
  maxSockets: number
  /** True when `maxsockets` was set (in a file, the environment or a flag), not npm's default. */
  maxSocketsSet: boolean
  /**
   * `user-agent` when the user configured one (npm's template, placeholders such as `{node-version}`
   * left as written); undefined when not configured, so that tote sends its own.
   */
  userAgent: string | undefined
  /** Project root: npm's local prefix (nearest folder with package.json or node_modules, or its workspace root). */
  projectDir: string
  /** npmrc files that loading looked at, in precedence order (highest first). */
  sources: ConfigSourceFile[]
  /** Registry for a package name: its scope's registry when configured, else {@link ToteConfig.registry}. */
  registryFor(packageName: string): string
  /**
   * `authorization` header value for a request URL (`Bearer …` or `Basic …`), found as npm-registry-fetch
   * does: nerf-dart the URL and walk up its path until a `//host[:port]/path/:` key has credentials; if
   * none, and the URL is on the same host as the registry (of `packageName` when given), use the
   * registry's credentials. Top-level `_authToken`/`_auth` count for the default registry only.
   * Never returns credentials configured for another host or port.
   */
  authHeaderFor(url: string, packageName?: string): string | undefined
  /** Proxy URL for a request URL, or undefined when none applies or the host is in {@link ToteConfig.noProxy}. */
  proxyFor(url: string): string | undefined
  /** Any config value by npm's key (`registry`, `//host/:_authToken`, `@scope:registry`, …), raw after npm's parsing. */
  get(key: string): unknown
  /** The layer a key's value comes from (`cli`, `env`, `project`, `user`, `global`, `default`…); null when none has it. */
  layerOf(key: string): ConfigLayer | null
  /**
   * The variables npm exports to lifecycle scripts, by npm's own set-envs: `npm_config_*` of every
   * value that is not npm's default, `INIT_CWD` (this process's folder), `HOME`,
   * `npm_config_global_prefix`, `npm_config_local_prefix`, `npm_config_node_gyp`, `NODE`,
   * `npm_node_execpath` and `npm_execpath` (npm's; a package manager puts its own there).
   */
  exportedEnv(): Record<string, string>
}
