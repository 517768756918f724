// Proxy choice as npm makes it (npm-registry-fetch passes `https-proxy || proxy`; @npmcli/agent falls
// back to the environment and applies no_proxy).

export interface ProxySettings {
  proxy: string | undefined
  httpsProxy: string | undefined
  noProxy: string[]
  /** The key (config key or variable name) and place each value came from, for error hints. */
  origins: { proxy: ProxyOrigin; httpsProxy: ProxyOrigin }
}

export interface ProxyOrigin {
  key: string
  origin: string
}

const proxyEnvNames = new Set(['https_proxy', 'http_proxy', 'proxy', 'no_proxy'])

/**
 * The proxy variables by lower-case name. Like npm, a variable set in both spellings takes the value of
 * whichever comes later in the environment.
 */
function proxyEnv(env: NodeJS.ProcessEnv): Record<string, { name: string; value: string | undefined }> {
  const found: Record<string, { name: string; value: string | undefined }> = {}
  for (const [name, value] of Object.entries(env)) {
    const lower = name.toLowerCase()
    if (proxyEnvNames.has(lower)) found[lower] = { name, value }
  }
  return found
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined

export function resolveProxies(
  get: (key: string) => unknown,
  originOf: (key: string) => string,
  env: NodeJS.ProcessEnv,
): ProxySettings {
  const fromEnv = proxyEnv(env)
  const envValue = (name: string) => text(fromEnv[name]?.value)
  const envOrigin = (name: string): ProxyOrigin => {
    const variable = fromEnv[name]?.name ?? name
    return { key: variable, origin: `environment variable ${variable}` }
  }

  // `proxy=false` is allowed by npm's types but, as in npm, only means "not set here"
  const configKey = text(get('https-proxy')) ? 'https-proxy' : text(get('proxy')) ? 'proxy' : undefined
  const configProxy = configKey === undefined ? undefined : text(get(configKey))
  const configOrigin: ProxyOrigin = { key: configKey ?? '', origin: configKey ? originOf(configKey) : '' }

  const httpsEnvName = envValue('https_proxy') ? 'https_proxy' : undefined
  const httpEnvName = ['https_proxy', 'http_proxy', 'proxy'].find((name) => envValue(name) !== undefined)

  const configNoProxy = get('noproxy')
  const noProxyText =
    (Array.isArray(configNoProxy) ? text(configNoProxy.join(',')) : text(configNoProxy)) ??
    envValue('no_proxy')

  return {
    httpsProxy: configProxy ?? (httpsEnvName ? envValue(httpsEnvName) : undefined),
    proxy: configProxy ?? (httpEnvName ? envValue(httpEnvName) : undefined),
    noProxy: (noProxyText ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ''),
    origins: {
      httpsProxy: configProxy !== undefined ? configOrigin : envOrigin(httpsEnvName ?? 'https_proxy'),
      proxy: configProxy !== undefined ? configOrigin : envOrigin(httpEnvName ?? 'http_proxy'),
    },
  }
}

/** True when the URL's host ends with one of the no-proxy domains, compared label by label (npm's rule). */
export function bypassesProxy(url: URL, noProxy: string[]): boolean {
  const hostLabels = url.hostname.split('.').reverse()
  return noProxy.some((entry) => {
    const labels = entry.split('.').filter(Boolean).reverse()
    return labels.length > 0 && labels.every((label, i) => hostLabels[i] === label)
  })
}
