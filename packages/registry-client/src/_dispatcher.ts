import { createSecureContext } from 'node:tls'
import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici'
import type { LookupFunction } from './_dns.js'

/** Connection settings shared by the main thread and packument workers (plain data, cloneable). */
export interface ConnectionSettings {
  connections: number
  connectTimeout: number
  readTimeout: number
  allowH2: boolean
  ca?: string[]
  strictSSL: boolean
  proxy?: string
  httpsProxy?: string
  noProxy?: string
}

/**
 * One keep-alive pool per origin (undici's Agent), `connections` sockets at most each, connecting
 * through a memoised DNS lookup; through a proxy when one is configured (hosts in `noProxy` bypass it).
 */
export function createDispatcher(settings: ConnectionSettings, lookup: LookupFunction): Dispatcher {
  // One TLS context for every connection: built per connection, 140 CA certificates from a cafile
  // cost ~70 ms each time (1.1 s of CPU for one install, measured), and even the default one ~1 ms
  // (43 ms of main-thread time while vite-react-ts opened its connections).
  const tls = {
    secureContext: createSecureContext(settings.ca === undefined ? {} : { ca: settings.ca }),
    rejectUnauthorized: settings.strictSSL,
  }
  const agentOptions = {
    connections: settings.connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: settings.readTimeout,
    bodyTimeout: settings.readTimeout,
    allowH2: settings.allowH2,
    connect: { ...tls, lookup, timeout: settings.connectTimeout, allowH2: settings.allowH2 },
  }
  if (settings.proxy === undefined && settings.httpsProxy === undefined) return new Agent(agentOptions)
  // Explicit empty strings keep undici from reading proxy variables of its own from the environment:
  // the configuration passed in has already decided.
  return new EnvHttpProxyAgent({
    ...agentOptions,
    httpProxy: settings.proxy ?? '',
    httpsProxy: settings.httpsProxy ?? settings.proxy ?? '',
    noProxy: settings.noProxy ?? '',
    requestTls: { ...tls, lookup, timeout: settings.connectTimeout },
    proxyTls: { lookup, timeout: settings.connectTimeout },
  })
}
