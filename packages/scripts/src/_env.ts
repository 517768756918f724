import { delimiter, dirname, resolve } from 'node:path'
import type { ScriptBaseEnvInput, ScriptEnvInput } from './types.js'

/**
 * The environment every script of one run starts from, as npm builds it: the process's, npm's
 * configuration as it exports it (`npm_config_*`, `INIT_CWD`…), then what npm itself sets:
 * `npm_execpath`, `npm_node_execpath`, `NODE`, `npm_command`, `npm_config_user_agent`,
 * `npm_config_node_gyp`, and `COLOR` (`0`: tote prints no colour).
 */
export function scriptBaseEnv(input: ScriptBaseEnvInput): Record<string, string | undefined> {
  const node = input.nodeExecPath ?? process.execPath
  return {
    ...input.processEnv,
    ...input.configEnv,
    npm_config_user_agent: input.userAgent,
    npm_config_node_gyp: input.nodeGyp ?? '',
    npm_execpath: input.execPath,
    npm_node_execpath: node,
    NODE: node,
    npm_command: input.command,
    COLOR: '0',
  }
}

/**
 * The environment of one script, as `@npmcli/run-script` makes it: the base, the package's
 * `npm_package_*` (name, version, config, engines, bin), the extra variables, `npm_package_json`,
 * `npm_lifecycle_event`, `npm_lifecycle_script`, and PATH: the bin paths, then `node_modules/.bin`
 * of the package folder and of every folder above it up to the root, then the node-gyp shim's
 * folder, then the PATH it had (every `PATH`-like key merged, as npm does on Windows).
 */
export function scriptEnv(input: ScriptEnvInput): Record<string, string> {
  // npm: `{ ...process.env, ...extras, ...npm_package_*, npm_package_json, … }`: the package's own
  // variables win over the extras.
  const env: Record<string, string | undefined> = {
    ...input.baseEnv,
    ...input.extraEnv,
    ...packageEnv(input.manifest),
    npm_package_json: resolve(input.dir, 'package.json'),
    npm_lifecycle_event: input.event,
    npm_lifecycle_script: input.script,
  }
  const result: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) if (value !== undefined) result[key] = value
  return withPath(result, input.dir, input.binPaths ?? [], input.nodeGypBinDir)
}

/** npm's `npm_package_*`: name, version, and config, engines and bin flattened with `_`. */
export function packageEnv(manifest: ScriptEnvInput['manifest']): Record<string, string> {
  const env: Record<string, string> = {}
  flatten(
    {
      name: manifest.name,
      version: manifest.version,
      config: manifest.config,
      engines: manifest.engines,
      bin: manifest.bin,
    },
    'npm_package_',
    env,
  )
  return env
}

function flatten(values: Record<string, unknown>, prefix: string, env: Record<string, string>): void {
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue
    if (value === null || value === false) env[`${prefix}${key}`] = ''
    else if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) flatten({ [`${key}_${index}`]: item }, prefix, env)
    } else if (typeof value === 'object') flatten(value as Record<string, unknown>, `${prefix}${key}_`, env)
    else env[`${prefix}${key}`] = String(value)
  }
}

/** npm's setPATH: every PATH-like key gets the same value, with the project's bins first. */
function withPath(
  env: Record<string, string>,
  dir: string,
  binPaths: string[],
  nodeGypBinDir: string | undefined,
): Record<string, string> {
  const pathKeys = Object.keys(env).filter((key) => /^path$/i.test(key) && env[key])
  const old: string[] = []
  for (const key of pathKeys) {
    for (const part of env[key]!.split(delimiter)) if (!old.includes(part)) old.push(part)
  }
  const parts = [...binPaths]
  let current = dir
  for (;;) {
    parts.push(resolve(current, 'node_modules', '.bin'))
    const parent = dirname(current)
    if (parent === current) break
    current = parent
  }
  if (nodeGypBinDir) parts.push(nodeGypBinDir)
  parts.push(old.join(delimiter))
  const value = parts.join(delimiter)
  if (pathKeys.length === 0) env.PATH = value
  for (const key of pathKeys) env[key] = value
  return env
}
