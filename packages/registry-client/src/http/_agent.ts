import { createSecureContext } from 'node:tls'
import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici'
import type { LookupFunction } from './_dns-once.js'

/** How the client connects: plain data from its options. */
export interface ConnectionSettings {
  connections: number
  connectTimeout: number
  readTimeout: number
  ca?: string[]
  strictSSL: boolean
  proxy?: string
  httpsProxy?: string
  noProxy?: string
  /** Connect through this lookup instead of the system's (see _dns-once.ts). */
  lookup?: LookupFunction
}

/**
 * One keep-alive pool per origin (undici's Agent), `connections` sockets at most each, HTTP/1.1;
 * through a proxy when one is configured (hosts in `noProxy` bypass it).
 */
export function createAgent(settings: ConnectionSettings): Dispatcher {
  const { lookup } = settings
  // One TLS context for every connection: built per connection, 140 CA certificates from a cafile
  // cost ~70 ms each time (1.1 s of CPU for one install, measured), and even the default one ~1 ms
  // (43 ms of main-thread time while vite-react-ts opened its connections).
  const tls = {
    secureContext: createSecureContext(settings.ca === undefined ? {} : { ca: settings.ca }),
    rejectUnauthorized: settings.strictSSL,
  }
  const connect = { ...tls, timeout: settings.connectTimeout, ...(lookup ? { lookup } : {}) }
  const agentOptions = {
    connections: settings.connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: settings.readTimeout,
    bodyTimeout: settings.readTimeout,
    connect,
  }
  if (settings.proxy === undefined && settings.httpsProxy === undefined) return new Agent(agentOptions)
  // Explicit empty strings keep undici from reading proxy variables of its own from the environment:
  // the configuration passed in has already decided.
  return new EnvHttpProxyAgent({
    ...agentOptions,
    httpProxy: settings.proxy ?? '',
    httpsProxy: settings.httpsProxy ?? settings.proxy ?? '',
    noProxy: settings.noProxy ?? '',
    requestTls: connect,
    proxyTls: { timeout: settings.connectTimeout, ...(lookup ? { lookup } : {}) },
  })
}
