// Registry credentials by npm-registry-fetch's rules: find the longest `//host[:port]/path` key prefix
// of the request URL that has credentials, never going above `//host[:port]`.

interface Credentials {
  token: string | undefined
  auth: string | undefined
  username: string | undefined
  password: string | undefined
  certfile: string | undefined
  keyfile: string | undefined
}

export interface AuthInput {
  get(key: string): unknown
  nerfDart(url: string): string
  /** The default registry, normalised. */
  registry: string
  registryFor(packageName: string): string
  /**
   * Every key set in any layer. When given, only the `//host/path` prefixes that carry a credential
   * key are looked up: a lookup through npm's layers costs ~3 µs, six per prefix, four prefixes per
   * URL (ant-design's resolve spent ~0.2 s of its main thread here).
   */
  keys?(): Iterable<string>
}

const CREDENTIAL_KEYS = ['_authToken', '_auth', 'username', '_password', 'certfile', 'keyfile']

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined

const hasCredentials = (c: Credentials): boolean =>
  c.token !== undefined ||
  c.auth !== undefined ||
  (c.username !== undefined && c.password !== undefined) ||
  (c.certfile !== undefined && c.keyfile !== undefined)

function credentialsUnder(get: (key: string) => unknown, prefix: string): Credentials {
  return {
    token: text(get(`${prefix}_authToken`)),
    auth: text(get(`${prefix}_auth`)),
    username: text(get(`${prefix}username`)),
    password: text(get(`${prefix}_password`)),
    certfile: text(get(`${prefix}certfile`)),
    keyfile: text(get(`${prefix}keyfile`)),
  }
}

function headerFrom(c: Credentials): string | undefined {
  if (c.token !== undefined) return `Bearer ${c.token}`
  if (c.auth !== undefined) return `Basic ${c.auth}`
  if (c.username !== undefined && c.password !== undefined) {
    // `_password` is stored base64-encoded in npmrc
    const password = Buffer.from(c.password, 'base64').toString('utf8')
    return `Basic ${Buffer.from(`${c.username}:${password}`, 'utf8').toString('base64')}`
  }
  // a client certificate alone (certfile/keyfile) is not a header
  return undefined
}

export function createAuthHeaderFor(
  input: AuthInput,
): (url: string, packageName?: string) => string | undefined {
  const { get } = input
  // Top-level `_authToken`/`_auth`/`username`+`_password` predate nerf-darted keys; npm ≥ 9 asks to move
  // them under the default registry (`npm config fix`). Tote reads them as if that had been done.
  const legacyKey = input.nerfDart(input.registry)
  const legacy = credentialsUnder(get, '')
  legacy.certfile = undefined
  legacy.keyfile = undefined

  // The configuration does not change while it is used: each prefix is looked up once.
  const known = new Map<string, Credentials>()
  const credentialsAt = (regKey: string): Credentials => {
    let credentials = known.get(regKey)
    if (credentials === undefined) {
      const own = credentialsUnder(get, `${regKey}:`)
      credentials = regKey === legacyKey && !hasCredentials(own) && hasCredentials(legacy) ? legacy : own
      known.set(regKey, credentials)
    }
    return credentials
  }
  // Prefixes that can have credentials: those of a credential key, and the default registry's (legacy keys).
  let candidates: Set<string> | undefined
  if (input.keys !== undefined) {
    candidates = new Set([legacyKey])
    for (const key of input.keys()) {
      const colon = key.lastIndexOf(':')
      if (key.startsWith('//') && colon !== -1 && CREDENTIAL_KEYS.includes(key.slice(colon + 1))) {
        candidates.add(key.slice(0, colon))
      }
    }
  }

  /** Longest key for the URL that has credentials: `//host/a/b/`, `//host/a/b`, `//host/a/`, …, `//host`. */
  const findRegKey = (url: string): string | undefined => {
    const parsed = new URL(url)
    let regKey = `//${parsed.host}${parsed.pathname}`
    while (regKey.length > '//'.length) {
      if ((candidates === undefined || candidates.has(regKey)) && hasCredentials(credentialsAt(regKey)))
        return regKey
      // drop either the last segment or the trailing slash, as both `//h/p/:k` and `//h/p:k` are valid keys
      regKey = regKey.replace(/([^/]+|\/)$/, '')
    }
    return undefined
  }

  return (url, packageName) => {
    const regKey = findRegKey(url)
    if (regKey !== undefined) return headerFrom(credentialsAt(regKey))
    // a tarball on the registry's host but outside its path still gets the registry's credentials
    const registry = packageName === undefined ? input.registry : input.registryFor(packageName)
    if (url !== registry && new URL(url).host === new URL(registry).host) {
      const registryKey = findRegKey(registry)
      if (registryKey !== undefined) return headerFrom(credentialsAt(registryKey))
    }
    return undefined
  }
}
