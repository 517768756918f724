import type { ToteConfig } from '@tote/config'
import type { RegistryClientOptions, RegistryEvent } from '@tote/registry-client'

declare const TOTE_VERSION: string

/** NODE_EXTRA_CA_CERTS as the launcher handed it over (see bin/tote.js). */
let extraCaFile: string | undefined

/** Sets the file of certificate authorities that Node's start-up did not load (see {@link Host}). */
export function useExtraCaFile(file: string | undefined): void {
  extraCaFile = file === '' ? undefined : file
}

/** Registry client options from npm configuration. */
export function registryClientOptions(
  config: ToteConfig,
  onEvent: (event: RegistryEvent) => void,
): RegistryClientOptions {
  return {
    registry: config.registry,
    registryFor: config.registryFor,
    authHeaderFor: (url) => config.authHeaderFor(url),
    cacheDir: config.cacheDir,
    offline: config.offline,
    preferOffline: config.preferOffline,
    preferOnline: config.preferOnline,
    // One retry policy for every request, npm's: the registry client's is the only retry loop.
    retries: config.fetchRetries,
    retryMinTimeout: config.fetchRetryMinTimeout,
    retryFactor: config.fetchRetryFactor,
    retryMaxTimeout: config.fetchRetryMaxTimeout,
    // npm's fetch-timeout bounds the wait for the headers (connecting included) and for each next
    // chunk; the client's 10 s connect timeout is kept below it.
    readTimeout: config.fetchTimeout,
    ...(config.fetchTimeout > 0 && config.fetchTimeout < 10_000
      ? { connectTimeout: config.fetchTimeout }
      : {}),
    // npm's default (15) is not tote's: the registry client's own (128) was measured faster.
    ...(config.maxSocketsSet ? { connections: config.maxSockets } : {}),
    ...(config.ca ? { ca: config.ca } : {}),
    ...(extraCaFile === undefined ? {} : { extraCaFile }),
    strictSSL: config.strictSSL,
    ...(config.proxy ? { proxy: config.proxy } : {}),
    ...(config.httpsProxy ? { httpsProxy: config.httpsProxy } : {}),
    ...(config.noProxy.length > 0 ? { noProxy: config.noProxy.join(',') } : {}),
    userAgent:
      config.userAgent ?? `tote/${TOTE_VERSION} node/${process.version} ${process.platform} ${process.arch}`,
    // A run is short, and some system resolvers drop simultaneous queries (registry-client README).
    lookupHostsOnce: true,
    onEvent,
  }
}
