// Worker thread entry: fetches and scans packuments, so that the main thread receives each document's
// chunks (transferred, not copied) with where its versions sit, and parses only the versions it reads. Tinypool starts the worker and runs one session
// task in it; requests then go over the session's own MessagePort, which spares every packument
// the per-task bookkeeping of a pool task.
import type { ToteError } from '@tote/types'
import { isToteError } from '@tote/types'
import { createCacheListing, writeCacheFileSync } from './_cache.js'
import { createMemoisedLookup } from './_dns.js'
import { indexDocument } from './_document.js'
import { serialiseError } from './_errors.js'
import { createBodyGate } from './_gate.js'
import type { HttpContext } from './_http.js'
import { packumentToText } from './_lazy.js'
import { createLazyDispatcher } from './_lazy-dispatcher.js'
import { type DocumentReader, loadPackument } from './_packument.js'
import type { WorkerPackument, WorkerReply, WorkerRequest, WorkerSession } from './_pool.js'

// Versions stay unparsed here: the main thread reads and reduces the few it needs.
const workerReader: DocumentReader<WorkerPackument> = {
  read(chunks, size, name) {
    const index = indexDocument(chunks, size, name)
    return index && workerReader.fromIndex(index)
  },
  fromIndex: (index) => ({ packument: { index }, document: index.chunks }),
  fromPackument: (packument) => ({ text: packumentToText(packument) }),
}

/** The buffers a reply can move instead of copying: each once, and only whole ones of their own. */
function transferable(reply: WorkerReply): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>()
  const add = (view: Uint8Array | Int32Array) => {
    if (view.buffer instanceof ArrayBuffer) buffers.add(view.buffer)
  }
  const { packument } = reply
  if (packument && 'index' in packument) {
    for (const chunk of packument.index.chunks) add(chunk)
    add(packument.index.offsets)
  }
  if (packument && 'text' in packument) {
    add(packument.text.bytes)
    add(packument.text.offsets)
  }
  return [...buffers]
}

export default function session({ setup, port }: WorkerSession): Promise<void> {
  const dns = createMemoisedLookup()
  const dispatcher = createLazyDispatcher(setup.settings, dns.lookup)
  const listing = createCacheListing()
  // This thread's CPU is what its bodies share: they take turns here as on the calling thread.
  const gate = createBodyGate()
  async function load(request: WorkerRequest): Promise<WorkerReply> {
    const { id, task, authorization, addresses } = request
    const target = new URL(task.url)
    if (addresses) dns.seed(target.hostname, addresses)
    const context: HttpContext = {
      dispatcher,
      policy: setup.policy,
      userAgent: setup.userAgent,
      // The main thread asked authHeaderFor for this URL; a redirect elsewhere gets no credentials.
      authHeaderFor: (url) => (new URL(url).origin === target.origin ? authorization : undefined),
      emit: (event) => port.postMessage({ id, event } satisfies WorkerReply),
      gate,
    }
    try {
      const { packument, cacheEntry, document } = await loadPackument(context, task, {
        reader: workerReader,
        listing,
      })
      // Written before the chunks are handed over; this thread has time to spare, the main one not.
      if (cacheEntry && document && task.cacheFile !== undefined) {
        writeCacheFileSync(task.cacheFile, cacheEntry, document)
      }
      return { id, packument }
    } catch (error) {
      if (isToteError(error)) return { id, error: serialiseError(error as ToteError) }
      return { id, error: { code: 'EINTERNAL', message: String(error), hint: undefined, details: {} } }
    }
  }

  return new Promise((resolve) => {
    port.on('message', (request: WorkerRequest | 'close') => {
      if (request === 'close') {
        port.close()
        dispatcher.close().then(() => resolve())
        return
      }
      load(request).then((reply) => {
        try {
          port.postMessage(reply, transferable(reply))
        } catch {
          // A buffer that cannot be moved (one of Node's pooled ones) is copied instead.
          port.postMessage(reply)
        }
      })
    })
  })
}
