// The packument client the scripts use: @tote/registry-client (built: run `pnpm build` first), or
// with --fetch the minimal undici client in _fetch-client.ts. The registry is npm's configured one.
import { createRequire } from 'node:module'
import type { Packument } from '@tote/types'
import { createFetchClient, npmRegistry } from './_fetch-client.js'

export interface ScriptClient {
  registry: string
  getPackument(name: string, options?: { signal?: AbortSignal }): Promise<Packument>
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
  // the compiled worker (tsx loads the client from sources, where there is none)
  let workerScript: string | undefined
  try {
    workerScript = createRequire(import.meta.url).resolve('@tote/registry-client/worker')
  } catch {
    workerScript = undefined
  }
  let bytes = 0
  const client = createRegistryClient({
    registry,
    ...(workerScript ? { workerScript } : {}),
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
