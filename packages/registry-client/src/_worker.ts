// Worker thread entry: fetches, parses and reduces packuments so that the main thread only receives
// the small reduced documents (run by tinypool; see _pool.ts).

import type { ToteError } from '@tote/types'
import { isToteError } from '@tote/types'
import Tinypool from 'tinypool'
import { createDispatcher } from './_dispatcher.js'
import { createMemoisedLookup } from './_dns.js'
import { serialiseError } from './_errors.js'
import type { HttpContext } from './_http.js'
import { loadPackument } from './_packument.js'
import type { WorkerReply, WorkerRequest, WorkerSetup } from './_pool.js'
import type { RegistryEvent } from './types.js'

const setup = Tinypool.workerData as WorkerSetup
const dns = createMemoisedLookup()
const dispatcher = createDispatcher(setup.settings, dns.lookup)

export default async function loadInWorker(request: WorkerRequest): Promise<WorkerReply> {
  const { task, authorization, addresses } = request
  const target = new URL(task.url)
  if (addresses) dns.seed(target.hostname, addresses)
  const events: RegistryEvent[] = []
  const context: HttpContext = {
    dispatcher,
    policy: setup.policy,
    userAgent: setup.userAgent,
    // The main thread asked authHeaderFor for this URL; a redirect elsewhere gets no credentials.
    authHeaderFor: (url) => (new URL(url).origin === target.origin ? authorization : undefined),
    emit: (event) => events.push(event),
  }
  try {
    const { packument, cacheEntry } = await loadPackument(context, task)
    // Text, not objects: the main thread's JSON.parse of it costs about a third of what
    // deserialising the same structured clone does (README, "Design and measurements").
    const packumentText = JSON.stringify(packument)
    const cacheText =
      cacheEntry && task.cacheFile !== undefined
        ? `${JSON.stringify(cacheEntry).slice(0, -1)},"packument":${packumentText}}`
        : undefined
    return { events, packumentText, ...(cacheText === undefined ? {} : { cacheText }) }
  } catch (error) {
    if (isToteError(error)) return { events, error: serialiseError(error as ToteError) }
    throw error
  }
}
