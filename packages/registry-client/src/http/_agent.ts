import { readFileSync } from 'node:fs'
import { createSecureContext, rootCertificates } from 'node:tls'
import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici'
import type { LookupFunction } from './_dns-once.js'

/** How the client connects: plain data from its options. */
export interface ConnectionSettings {
  connections: number
  connectTimeout: number
  readTimeout: number
  ca?: string[]
  /** Trusted besides Node's own certificate authorities when `ca` is not given (NODE_EXTRA_CA_CERTS). */
  extraCaFile?: string
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
  const nodeDefault = nodeAuthorities(settings.extraCaFile)
  const tls = {
    secureContext: createSecureContext(settings.ca === undefined ? nodeDefault : { ca: settings.ca }),
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
    // The proxy's own TLS: Node's default authorities, as before (with the extra file's, if any).
    proxyTls: {
      ...(nodeDefault.ca === undefined
        ? {}
        : {
            secureContext: settings.ca === undefined ? tls.secureContext : createSecureContext(nodeDefault),
          }),
      timeout: settings.connectTimeout,
      ...(lookup ? { lookup } : {}),
    },
  })
}

/**
 * Node's default certificate authorities, with those of `extraCaFile` (NODE_EXTRA_CA_CERTS, which
 * a launcher kept from Node's start-up) added: `{}` when there is no such file.
 */
function nodeAuthorities(extraCaFile: string | undefined): { ca?: string[] } {
  if (extraCaFile === undefined) return {}
  let extra: string
  try {
    extra = readFileSync(extraCaFile, 'latin1')
  } catch {
    // Node, too, goes on without a NODE_EXTRA_CA_CERTS file it cannot read.
    return {}
  }
  return { ca: [...rootCertificates, extra] }
}
