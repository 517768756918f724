import type { ToteConfig } from '@tote/config'
import type { RegistryClientOptions, RegistryEvent } from '@tote/registry-client'
import { workerFiles } from './_workers.js'

declare const TOTE_VERSION: string

/** Registry client options from npm configuration. */
export function registryClientOptions(
  config: ToteConfig,
  /** --fetch-workers; undefined lets the client choose. */
  fetchWorkers: number | undefined,
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
    retries: config.fetchRetries,
    retryMinTimeout: config.fetchRetryMinTimeout,
    retryMaxTimeout: config.fetchRetryMaxTimeout,
    readTimeout: config.fetchTimeout,
    // npm's default (15) is not tote's: the registry client's own (128) was measured faster.
    ...(config.maxSocketsSet ? { connections: config.maxSockets } : {}),
    ...(config.ca ? { ca: config.ca } : {}),
    strictSSL: config.strictSSL,
    ...(config.proxy ? { proxy: config.proxy } : {}),
    ...(config.httpsProxy ? { httpsProxy: config.httpsProxy } : {}),
    ...(config.noProxy.length > 0 ? { noProxy: config.noProxy.join(',') } : {}),
    userAgent:
      config.userAgent ?? `tote/${TOTE_VERSION} node/${process.version} ${process.platform} ${process.arch}`,
    ...(workerFiles.registry ? { workerScript: workerFiles.registry } : {}),
    ...(workerFiles.registryScan ? { scannerScript: workerFiles.registryScan } : {}),
    ...(process.env.TOTE_SCAN_WORKER === '1' ? { scanWorker: true } : {}),
    ...(fetchWorkers === undefined ? {} : { workers: fetchWorkers }),
    onEvent,
  }
}
