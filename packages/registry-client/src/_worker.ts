// Worker thread entry: fetches, parses and reduces packuments so that the main thread receives only
// the reduced documents, as text (see _lazy.ts). Tinypool starts the worker and runs one session
// task in it; requests then go over the session's own MessagePort, which spares every packument
// the per-task bookkeeping of a pool task.
import type { ToteError } from '@tote/types'
import { isToteError } from '@tote/types'
import { cacheFileContent, createCacheWriter } from './_cache.js'
import { createMemoisedLookup } from './_dns.js'
import { serialiseError } from './_errors.js'
import type { HttpContext } from './_http.js'
import { packumentToText } from './_lazy.js'
import { createLazyDispatcher } from './_lazy-dispatcher.js'
import { loadPackument } from './_packument.js'
import type { WorkerReply, WorkerRequest, WorkerSession } from './_pool.js'

export default function session({ setup, port }: WorkerSession): Promise<void> {
  const dns = createMemoisedLookup()
  const dispatcher = createLazyDispatcher(setup.settings, dns.lookup)
  // Cache files are written here, after the answer has gone, and flushed when the session closes.
  const cacheWriter = createCacheWriter(() => {})

  async function load(request: WorkerRequest): Promise<WorkerReply & { transfer?: ArrayBuffer[] }> {
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
    }
    try {
      const { packument, cacheEntry, document } = await loadPackument(context, task)
      const packumentText = packumentToText(packument)
      if (cacheEntry && document && task.cacheFile !== undefined) {
        cacheWriter.add(task.cacheFile, () => cacheFileContent(cacheEntry, document))
      }
      return { id, packumentText, transfer: [packumentText.bytes.buffer as ArrayBuffer] }
    } catch (error) {
      if (isToteError(error)) return { id, error: serialiseError(error as ToteError) }
      return { id, error: { code: 'EINTERNAL', message: String(error), hint: undefined, details: {} } }
    }
  }

  return new Promise((resolve) => {
    port.on('message', (request: WorkerRequest | 'close') => {
      if (request === 'close') {
        port.close()
        Promise.all([cacheWriter.flush(), dispatcher.close()]).then(() => resolve())
        return
      }
      load(request).then(({ transfer = [], ...reply }) => {
        const offsets = reply.packumentText?.offsets.buffer as ArrayBuffer | undefined
        port.postMessage(reply, offsets ? [offsets, ...transfer] : transfer)
      })
    })
  })
}
