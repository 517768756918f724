// The packument client the scripts use: @tote/registry-client (built: run `pnpm build` first), or
// with --fetch the minimal undici client in _fetch-client.ts. The registry is npm's configured one.
import type { LazyPackument, Packument } from '@tote/types'
import { createFetchClient, npmRegistry } from './_fetch-client.js'

export interface ScriptClient {
  registry: string
  getPackument(name: string, options?: { signal?: AbortSignal }): Promise<Packument | LazyPackument>
  /** Body bytes received so far. */
  bytes(): number
  close(): Promise<void>
}

export async function createScriptClient(useFetch: boolean): Promise<ScriptClient> {
  const registry = npmRegistry()
  if (useFetch) {
    const client = createFetchClient(registry)
    return {
      registry,
      getPackument: client.getPackument,
      bytes: () => client.stats().bytes,
      close: () => client.close(),
    }
  }
  const { createRegistryClient } = await import('@tote/registry-client')
  let bytes = 0
  const client = createRegistryClient({
    registry,
    // As the CLI does: some system resolvers drop simultaneous queries.
    lookupHostsOnce: true,
    onEvent: (event) => {
      if (event.type === 'request-end') bytes += event.bytes
    },
  })
  return {
    registry,
    getPackument: (name, options) => client.getPackument(name, options),
    bytes: () => bytes,
    close: () => client.close(),
  }
}
