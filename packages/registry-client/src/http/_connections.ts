import type { Dispatcher } from 'undici'
import type { ConnectionSettings } from './_agent.js'

/** What the client asks of its connections. */
export interface Connections {
  request(options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>
  close(): Promise<void>
}

/**
 * Connections that load undici (and node:tls, node:http…) and open only when the first request
 * goes out: an install served from the cache never pays ~60 ms of module loading.
 */
export function createConnections(settings: ConnectionSettings): Connections {
  let agent: Promise<Dispatcher> | undefined
  const load = () => {
    agent ??= import('./_agent.js').then((module) => module.createAgent(settings))
    return agent
  }
  return {
    async request(options) {
      return (await load()).request(options)
    },
    async close() {
      if (agent) await (await agent).close()
    },
  }
}
