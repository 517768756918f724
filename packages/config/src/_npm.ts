/// <reference path="./_npmcli-config.d.ts" />
// Loads npm's config layers with npm's own loader (@npmcli/config, the package the npm CLI uses), so
// that file locations, precedence, key normalisation, ${VAR} interpolation, type coercion and defaults
// are npm's, not a re-implementation. It is CommonJS without types: the few members used are typed here.
import { homedir as osHomedir } from 'node:os'
import { isAbsolute, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import NpmConfigModule from '@npmcli/config'
import definitionsModule from '@npmcli/config/lib/definitions/index.js'
import nerfDartModule from '@npmcli/config/lib/nerf-dart.js'
import { ToteError } from '@tote/types'
import type { ConfigFlags, ConfigLayer, ConfigSourceFile } from './types.js'

interface NpmConfigData {
  data: Record<string, unknown>
  source: string | null
  loadError: (Error & { code?: string }) | undefined
}

interface NpmConfigInstance {
  home: string | null
  env: NodeJS.ProcessEnv
  npmPath: string
  localPrefix: string
  data: Map<ConfigLayer, NpmConfigData>
  load(): Promise<void>
  loadBuiltinConfig(): Promise<void>
  loadHome(): void
  setEnvs(): void
  get(key: string): unknown
  find(key: string): ConfigLayer | null
}

interface NpmConfigOptions {
  definitions: unknown
  shorthands: unknown
  flatten: unknown
  nerfDarts: string[]
  npmPath: string
  env: NodeJS.ProcessEnv
  argv: string[]
  cwd: string
  execPath: string
  platform: NodeJS.Platform
  warn: boolean
}

type NpmConfigClass = new (options: NpmConfigOptions) => NpmConfigInstance

// Static imports (not createRequire) so that a bundler can inline npm's loader.
const NpmConfigBase = NpmConfigModule as unknown as NpmConfigClass
const { definitions, shorthands, flatten, nerfDarts } = definitionsModule as unknown as {
  definitions: unknown
  shorthands: unknown
  flatten: unknown
  nerfDarts: string[]
}

/** npm's config as loaded: raw values by key, where each came from, and the project root. */
export interface NpmConfig {
  get(key: string): unknown
  /** The layer a key's effective value comes from; null when no layer has it. */
  layerOf(key: string): ConfigLayer | null
  /** Human-readable origin of a key's value (file path, `npm_config_<key>`, `--<key>`), for hints. */
  originOf(key: string): string
  /** Every key set in any layer. */
  keys(): string[]
  /** What npm exports to lifecycle scripts (its set-envs.js), computed without touching any env. */
  exportedEnv(): Record<string, string>
  projectDir: string
  home: string
  files: ConfigSourceFile[]
}

export interface LoadNpmConfigInput {
  cwd: string
  env: NodeJS.ProcessEnv
  flags: ConfigFlags
  homedir: string | undefined
  npmPath: string | undefined
}

const fileLayers = ['project', 'user', 'global', 'builtin'] as const

export async function loadNpmConfig(input: LoadNpmConfigInput): Promise<NpmConfig> {
  class ToteNpmConfig extends NpmConfigBase {
    // npm reads `<npm folder>/npmrc`; without an npm folder there is no such layer.
    override loadBuiltinConfig() {
      return input.npmPath === undefined ? Promise.resolve() : super.loadBuiltinConfig()
    }
    // npm uses $HOME, else the OS's home; an explicit homedir wins so that tests and embedders choose.
    override loadHome() {
      this.home = input.homedir ?? (this.env.HOME || osHomedir())
    }
    // npm exports its config into the environment for lifecycle scripts; tote's script runner does that itself.
    override setEnvs() {}
  }

  const argv = ['node', 'tote', ...flagsToArgv(input.flags)]
  const config = new ToteNpmConfig({
    definitions,
    shorthands,
    flatten,
    nerfDarts,
    // without npm, a folder that does not exist: npm also reads its own package.json from there
    npmPath: input.npmPath ?? fileURLToPath(new URL('./no-npm-installation/', import.meta.url)),
    // a copy, so that nothing npm does to its env can reach the caller's
    env: { ...input.env },
    argv,
    cwd: resolve(input.cwd),
    execPath: process.execPath,
    platform: process.platform,
    warn: false,
  })
  try {
    await config.load()
  } catch (error) {
    throw new ToteError('ECONFIG', `Could not load npm configuration: ${(error as Error).message}`, {
      hint: 'Check the flags given and the npmrc files listed by --verbose.',
      cause: error,
    })
  }
  checkFlagsKept(config, input.flags)

  const originOf = (key: string): string => {
    const layer = config.find(key)
    if (layer === 'env') return `environment variable ${envNameOf(input.env, key)}`
    if (layer === 'cli') return `flag --${key}`
    if (layer === null || layer === 'default') return "npm's default"
    return config.data.get(layer)?.source ?? layer
  }

  return {
    get: (key) => config.get(key),
    layerOf: (key) => config.find(key),
    originOf,
    keys: () => {
      const all: string[] = []
      // layers are chained by prototype, so for…in sees the keys of every layer
      for (const key in config.data.get('cli')!.data) all.push(key)
      return all
    },
    exportedEnv: () => {
      // npm's own set-envs writes into the config's env; give it an empty one to fill.
      const own = config.env
      const exported: NodeJS.ProcessEnv = {}
      config.env = exported
      try {
        NpmConfigBase.prototype.setEnvs.call(config)
      } finally {
        config.env = own
      }
      const result: Record<string, string> = {}
      for (const [key, value] of Object.entries(exported)) if (typeof value === 'string') result[key] = value
      return result
    },
    projectDir: config.localPrefix,
    home: config.home ?? osHomedir(),
    files: fileLayers.flatMap((layer): ConfigSourceFile[] => {
      const { source, loadError } = config.data.get(layer)!
      // project config is skipped (with a descriptive source) in global mode or when it is the user config
      if (source === null || !isAbsolute(source)) return []
      if (loadError === undefined) return [{ layer, path: source, found: true }]
      if (loadError.code === 'ENOENT') return [{ layer, path: source, found: false }]
      return [{ layer, path: source, found: false, error: loadError.code ?? loadError.message }]
    }),
  }
}

/** The `npm_config_*` variable that npm read `key` from (npm lower-cases and turns `_` into `-`). */
function envNameOf(env: NodeJS.ProcessEnv, key: string): string {
  const prefix = 'npm_config_'
  const names = Object.keys(env).filter((name) => name.toLowerCase().startsWith(prefix))
  const found = names.find((name) => {
    const rest = name.slice(prefix.length)
    return (rest.startsWith('//') ? rest : rest.replace(/(?!^)_/g, '-').toLowerCase()) === key
  })
  return found ?? `${prefix}${key}`
}

/** Tote-only flags that npm does not know; they are not passed to npm's argument parser. */
const toteOnlyFlags = new Set(['cache-dir'])

function flagsToArgv(flags: ConfigFlags): string[] {
  const argv: string[] = []
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined || toteOnlyFlags.has(key)) continue
    if (value === true) argv.push(`--${key}`)
    else if (value === false) argv.push(`--no-${key}`)
    else if (Array.isArray(value)) for (const item of value) argv.push(`--${key}=${item}`)
    else argv.push(`--${key}=${value}`)
  }
  return argv
}

/** npm's argument parser drops a flag value that does not fit the key's type (with a log line); tote refuses it. */
function checkFlagsKept(config: NpmConfigInstance, flags: ConfigFlags): void {
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined || toteOnlyFlags.has(key)) continue
    const kept = config.find(key) === 'cli' ? config.data.get('cli')!.data[key] : undefined
    const missing = Array.isArray(value)
      ? value.filter((item) => !(Array.isArray(kept) && kept.map(String).includes(item)))
      : kept === undefined
        ? [value]
        : []
    if (missing.length > 0) {
      throw new ToteError('ECONFIG', `Invalid value for --${key}: ${missing.map(String).join(', ')}`, {
        hint: `Give --${key} a value of the kind npm expects for "${key}" (see \`npm help config\`).`,
        details: { key, value },
      })
    }
  }
}

/** npm's nerf-dart of a URL: `//host[:port]/path/` without protocol, query or last path segment. */
export function nerfDart(url: string): string {
  return (nerfDartModule as unknown as (url: string) => string)(url)
}
