import type { Dispatcher } from 'undici'
import type { ConnectionSettings } from './_dispatcher.js'
import type { LookupFunction } from './_dns.js'

/** What the client asks of a connection pool. */
export interface RequestDispatcher {
  request(options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>
  close(): Promise<void>
}

/**
 * A dispatcher that loads undici (and node:tls, node:http…) and opens connections only when the
 * first request goes out: an install served from the cache never pays ~60 ms of module loading.
 */
export function createLazyDispatcher(
  settings: ConnectionSettings,
  lookup: LookupFunction,
): RequestDispatcher {
  let dispatcher: Promise<Dispatcher> | undefined
  const load = () => {
    dispatcher ??= import('./_dispatcher.js').then((module) => module.createDispatcher(settings, lookup))
    return dispatcher
  }
  return {
    async request(options) {
      return (await load()).request(options)
    },
    async close() {
      if (dispatcher) await (await dispatcher).close()
    },
  }
}
