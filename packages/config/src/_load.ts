import { createAuthHeaderFor } from './_auth.js'
import { resolveCa } from './_ca.js'
import { resolveCacheDir } from './_cache-dir.js'
import { loadNpmConfig, nerfDart } from './_npm.js'
import { resolveOmit } from './_omit.js'
import { bypassesProxy, resolveProxies } from './_proxy.js'
import { invalidValue, parseUrl, readBoolean, readCount, readRegistryUrl } from './_read.js'
import { resolveBefore, resolveReleaseAgeExclude } from './_release-age.js'
import type { LoadConfigOptions, ToteConfig } from './types.js'

const scopedRegistryKey = /^(@[^:/]+):registry$/

const proxyProtocols = new Set(['http:', 'https:', 'socks:', 'socks4:', 'socks4a:', 'socks5:', 'socks5h:'])

/**
 * Reads npm's configuration (defaults, builtin, global, user and project npmrc, `npm_config_*`
 * variables, flags) with npm's own loader and returns it resolved and typed for tote.
 * Throws ToteError `ECONFIG` for a value tote cannot use.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<ToteConfig> {
  const env = options.env ?? process.env
  const flags = options.flags ?? {}
  const npm = await loadNpmConfig({
    cwd: options.cwd,
    env,
    flags,
    homedir: options.homedir,
    npmPath: options.npmPath,
  })

  const registry = readRegistryUrl(npm, 'registry')
  const scopedRegistries: Record<string, string> = {}
  for (const key of npm.keys()) {
    const scope = scopedRegistryKey.exec(key)?.[1]
    if (scope !== undefined && !(scope in scopedRegistries)) {
      scopedRegistries[scope] = readRegistryUrl(npm, key)
    }
  }
  const registryFor = (packageName: string): string => {
    if (!packageName.startsWith('@')) return registry
    const slash = packageName.indexOf('/')
    const scope = slash === -1 ? packageName : packageName.slice(0, slash)
    return scopedRegistries[scope] ?? registry
  }

  const proxies = resolveProxies(npm.get, npm.originOf, env)
  for (const field of ['proxy', 'httpsProxy'] as const) {
    const value = proxies[field]
    const url = value === undefined ? undefined : parseUrl(value)
    if (value !== undefined && (url === undefined || !proxyProtocols.has(url.protocol))) {
      const { key, origin } = proxies.origins[field]
      throw invalidValue(key, 'an http://, https:// or socks:// URL', value, origin)
    }
  }

  const userAgent = npm.get('user-agent')
  const config: ToteConfig = {
    registry,
    scopedRegistries,
    cacheDir: resolveCacheDir(flags['cache-dir'], env, options.cwd, npm.home),
    strictSSL: readBoolean(npm, 'strict-ssl'),
    ca: await resolveCa(npm),
    proxy: proxies.proxy,
    httpsProxy: proxies.httpsProxy,
    noProxy: proxies.noProxy,
    legacyPeerDeps: readBoolean(npm, 'legacy-peer-deps'),
    omit: resolveOmit(npm, env),
    ignoreScripts: readBoolean(npm, 'ignore-scripts'),
    offline: readBoolean(npm, 'offline'),
    preferOffline: readBoolean(npm, 'prefer-offline'),
    preferOnline: readBoolean(npm, 'prefer-online'),
    omitLockfileRegistryResolved: readBoolean(npm, 'omit-lockfile-registry-resolved'),
    before: resolveBefore(npm, Date.now()),
    releaseAgeExclude: resolveReleaseAgeExclude(npm),
    fetchRetries: readCount(npm, 'fetch-retries'),
    fetchRetryFactor: readCount(npm, 'fetch-retry-factor'),
    fetchRetryMinTimeout: readCount(npm, 'fetch-retry-mintimeout'),
    fetchRetryMaxTimeout: readCount(npm, 'fetch-retry-maxtimeout'),
    fetchTimeout: readCount(npm, 'fetch-timeout'),
    maxSockets: readCount(npm, 'maxsockets'),
    maxSocketsSet: npm.layerOf('maxsockets') !== 'default',
    userAgent:
      npm.layerOf('user-agent') !== 'default' && typeof userAgent === 'string' && userAgent !== ''
        ? userAgent
        : undefined,
    projectDir: npm.projectDir,
    sources: npm.files,
    registryFor,
    authHeaderFor: createAuthHeaderFor({ get: npm.get, keys: npm.keys, nerfDart, registry, registryFor }),
    proxyFor: (url) => {
      const parsed = new URL(url)
      if (bypassesProxy(parsed, proxies.noProxy)) return undefined
      return parsed.protocol === 'https:' ? proxies.httpsProxy : proxies.proxy
    },
    get: npm.get,
    layerOf: npm.layerOf,
    exportedEnv: npm.exportedEnv,
  }
  return config
}
