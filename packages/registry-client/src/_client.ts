import { setMaxListeners } from 'node:events'
import type { LazyPackument } from '@tote/types'
import { redactUrl, ToteError } from '@tote/types'
import type { ConnectionSettings } from './http/_agent.js'
import { createBodyGate } from './http/_body-gate.js'
import { createConnections } from './http/_connections.js'
import { createLookupOnce } from './http/_dns-once.js'
import { type HttpContext, httpGet } from './http/_get.js'
import type { RetryPolicy } from './http/_retry.js'
import { cacheFileContent, cacheFileFor, createCacheListing } from './metadata-cache/_files.js'
import { createCacheWriter } from './metadata-cache/_writer.js'
import { loadPackument, type PackumentTask } from './packument/_load.js'
import type {
  FetchTarballOptions,
  PackumentRequestOptions,
  RegistryClient,
  RegistryClientOptions,
  RegistryEvent,
  TarballBody,
  TarballSink,
} from './types.js'

const VERSION = '0.1.0'

/** `@scope/name` → `@scope%2fname`; other characters that are not URL-safe are escaped too. */
export function escapePackageName(name: string): string {
  if (name.startsWith('@')) {
    const slash = name.indexOf('/')
    if (slash > 0) {
      return `@${encodeURIComponent(name.slice(1, slash))}%2f${encodeURIComponent(name.slice(slash + 1))}`
    }
  }
  return encodeURIComponent(name)
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`
}

/**
 * The default tarball sink: copies chunks into one buffer of `expectedSize` as they arrive (no list
 * of chunks, one allocation), falling back to concatenating when the body is larger.
 */
/** The largest body taken into a buffer of its announced size (a larger announcement is not trusted). */
const MAX_PREALLOCATED = 1024 * 1024 * 1024

function bufferSink(expectedSize: number | undefined): TarballSink<Buffer> {
  let target =
    expectedSize !== undefined && expectedSize > 0 && expectedSize <= MAX_PREALLOCATED
      ? Buffer.allocUnsafe(expectedSize)
      : undefined
  const chunks: Uint8Array[] = []
  let size = 0
  return {
    push(chunk) {
      if (target && size + chunk.length <= target.length) target.set(chunk, size)
      else {
        if (target) chunks.push(target.subarray(0, size))
        target = undefined
        chunks.push(chunk)
      }
      size += chunk.length
    },
    finish: () => (target ? target.subarray(0, size) : Buffer.concat(chunks, size)),
  }
}

/** The body's Content-Length, when it is a plain byte count. */
function announcedSize(headers: Record<string, string | string[] | undefined>): number | undefined {
  const value = headers['content-length']
  const size = Number(Array.isArray(value) ? value[0] : value)
  return Number.isSafeInteger(size) && size >= 0 ? size : undefined
}

/** Creates a client for npm-compatible registries. Call `close()` when done. */
export function createRegistryClient(options: RegistryClientOptions): RegistryClient {
  const registry = withTrailingSlash(options.registry)
  const registryFor = options.registryFor ?? (() => registry)
  const authHeaderFor = options.authHeaderFor ?? (() => undefined)
  const emit = options.onEvent ?? (() => {})
  const policy: RetryPolicy = {
    retries: options.retries ?? 2,
    minTimeout: options.retryMinTimeout ?? 1000,
    maxTimeout: options.retryMaxTimeout ?? 60_000,
    factor: options.retryFactor ?? 10,
  }
  const settings: ConnectionSettings = {
    connections: options.connections ?? 128,
    connectTimeout: options.connectTimeout ?? 10_000,
    readTimeout: options.readTimeout ?? 60_000,
    strictSSL: options.strictSSL ?? true,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.extraCaFile === undefined ? {} : { extraCaFile: options.extraCaFile }),
    ...(options.proxy === undefined ? {} : { proxy: options.proxy }),
    ...(options.httpsProxy === undefined ? {} : { httpsProxy: options.httpsProxy }),
    ...(options.noProxy === undefined ? {} : { noProxy: options.noProxy }),
    ...(options.lookupHostsOnce === true ? { lookup: createLookupOnce().lookup } : {}),
  }
  const userAgent =
    options.userAgent ?? `tote/${VERSION} node/${process.version} ${process.platform} ${process.arch}`
  const connections = createConnections(settings)
  const gate = createBodyGate()
  const context: HttpContext = { connections, policy, userAgent, authHeaderFor, emit, gate }
  // A cache that cannot be written is only slower next time: write errors are dropped.
  const cacheWriter = options.cacheDir === undefined ? undefined : createCacheWriter(() => {})
  const listing = createCacheListing()

  const packuments = new Map<string, Promise<LazyPackument>>()
  /** The documents of `packuments` that have loaded (forgetDocuments lets go of these). */
  const settled = new WeakSet<Promise<LazyPackument>>()
  let inFlight = 0
  let closed = false
  // Aborts the documents still being fetched when the client closes (see close()).
  const abandon = new AbortController()
  // Every document in flight listens on it: Node's leak warning (at 11) would be a false alarm.
  setMaxListeners(0, abandon.signal)

  async function counted<T>(work: () => Promise<T>): Promise<T> {
    inFlight++
    try {
      return await work()
    } finally {
      inFlight--
    }
  }

  // Body sizes the registry announced, by document key, and the callers waiting to hear one.
  const sizes = new Map<string, number>()
  const sizeListeners = new Map<string, ((bytes: number) => void)[]>()

  function announceSize(key: string, bytes: number): void {
    if (sizes.has(key)) return
    sizes.set(key, bytes)
    const listeners = sizeListeners.get(key)
    sizeListeners.delete(key)
    // Not called here, inside the request: a listener's error must not look like the request's.
    for (const listener of listeners ?? []) queueMicrotask(() => listener(bytes))
  }

  function listenForSize(key: string, listener: (bytes: number) => void): void {
    const known = sizes.get(key)
    if (known !== undefined) queueMicrotask(() => listener(known))
    else sizeListeners.set(key, [...(sizeListeners.get(key) ?? []), listener])
  }

  async function load(key: string, name: string, selector?: string): Promise<LazyPackument> {
    const packumentRegistry = withTrailingSlash(registryFor(name))
    const packumentUrl = packumentRegistry + escapePackageName(name)
    const url = selector === undefined ? packumentUrl : `${packumentUrl}/${encodeURIComponent(selector)}`
    const task: PackumentTask = {
      name,
      url,
      selector,
      registry: packumentRegistry,
      cacheFile: options.cacheDir === undefined ? undefined : cacheFileFor(options.cacheDir, url, name),
      offline: options.offline ?? false,
      preferOffline: options.preferOffline ?? false,
      preferOnline: options.preferOnline ?? false,
    }
    const emitFor = (event: RegistryEvent) => {
      if (event.type === 'response-start') announceSize(key, event.bytes)
      emit(event)
    }
    const { packument, cacheEntry, document } = await counted(() =>
      loadPackument({ ...context, emit: emitFor }, task, { listing, signal: abandon.signal }),
    )
    if (cacheEntry && document && task.cacheFile !== undefined && cacheWriter) {
      cacheWriter.add(task.cacheFile, () => cacheFileContent(cacheEntry, document))
    }
    return packument
  }

  function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (signal === undefined) return promise
    if (signal.aborted) return Promise.reject(signal.reason)
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason)
      signal.addEventListener('abort', onAbort, { once: true })
      promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
    })
  }

  function assertOpen(): void {
    if (closed) throw new Error('registry client is closed')
  }

  /** One request in flight per document however many callers ask; a loaded one is kept. */
  function shared(
    key: string,
    name: string,
    selector: string | undefined,
    { signal, onSize }: PackumentRequestOptions = {},
  ) {
    assertOpen()
    let packument = packuments.get(key)
    if (packument === undefined) {
      packument = load(key, name, selector)
      packuments.set(key, packument)
      const loading = packument
      packument.then(
        () => {
          settled.add(loading)
          sizeListeners.delete(key)
        },
        () => {
          // Failures are not remembered: the next caller tries again.
          packuments.delete(key)
          sizes.delete(key)
          sizeListeners.delete(key)
        },
      )
    }
    if (onSize) listenForSize(key, onSize)
    // One caller giving up does not cancel the shared request of the others.
    return abortable(packument, signal)
  }

  return {
    getPackument: (name, requestOptions) => shared(name, name, undefined, requestOptions),

    getVersion: (name, selector, requestOptions) =>
      // A name never holds a space, so this key is never a packument's.
      shared(`${name} ${selector}`, name, selector, { signal: requestOptions?.signal }),

    async fetchTarball<T = Buffer>(url: string, tarballOptions: FetchTarballOptions<T> = {}): Promise<T> {
      assertOpen()
      if (options.offline) {
        const shown = redactUrl(url)
        throw new ToteError('EOFFLINE', `Cannot download ${shown}: the network is off (offline mode)`, {
          hint: 'Turn offline mode off, or install from a store that already has this package.',
          details: { url: shown, status: 0, tries: 0 },
        })
      }
      const createSink =
        tarballOptions.createSink ??
        ((body: TarballBody) =>
          bufferSink(tarballOptions.expectedSize ?? body.size) as unknown as TarballSink<T>)
      const response = await counted(() =>
        httpGet(context, {
          subject: { url },
          headers: { accept: '*/*' },
          signal: tarballOptions.signal,
          createSink: (headers) => createSink({ size: announcedSize(headers) }),
        }),
      )
      return response.body as T
    },

    get inFlight() {
      return inFlight
    },

    forgetDocuments() {
      for (const [key, packument] of packuments) {
        // Settled ones only: callers of a document still in flight keep sharing one request.
        if (settled.has(packument)) {
          packuments.delete(key)
          sizes.delete(key)
        }
      }
    },

    async close() {
      if (closed) return
      closed = true
      // What is still being fetched, nobody is waiting for any more: a resolve's speculative
      // requests for documents it did not need (vite-react-ts: 30-80 ms of every run). Their
      // requests are aborted, not waited for; the documents that arrived are cached below.
      abandon.abort(new Error('registry client is closed'))
      await Promise.allSettled([...packuments.values()])
      await cacheWriter?.flush()
      await connections.close()
    },
  }
}
