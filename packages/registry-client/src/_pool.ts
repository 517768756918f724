import type { LookupAddress } from 'node:dns'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Packument } from '@tote/types'
import Tinypool from 'tinypool'
import type { ConnectionSettings } from './_dispatcher.js'
import type { MemoisedLookup } from './_dns.js'
import { deserialiseError, type SerialisedError } from './_errors.js'
import type { PackumentTask } from './_packument.js'
import type { RetryPolicy } from './_retry.js'
import type { RegistryEvent } from './types.js'

/** Sent once to every worker. */
export interface WorkerSetup {
  settings: ConnectionSettings
  policy: RetryPolicy
  userAgent: string
}

/** One packument to load in a worker. */
export interface WorkerRequest {
  task: PackumentTask
  /** authHeaderFor(task.url), asked on the main thread (functions do not cross threads). */
  authorization: string | undefined
  /** The registry host's addresses, looked up once by the main thread. */
  addresses: LookupAddress[] | undefined
}

export interface WorkerReply {
  /** Events of this load, replayed on the main thread. */
  events: RegistryEvent[]
  /** The reduced packument as JSON. */
  packumentText?: string
  /** The whole cache file, when one is to be written. */
  cacheText?: string
  error?: SerialisedError
}

export interface PackumentWorkers {
  load(
    task: PackumentTask,
    authorization: string | undefined,
    emit: (event: RegistryEvent) => void,
    dns: MemoisedLookup,
  ): Promise<{ packument: Packument; cacheText?: string | undefined }>
  close(): Promise<void>
}

/** The default `workers` option, chosen by measurement (README, "Design and measurements"). */
export function defaultWorkerCount(): number {
  return 1
}

/**
 * The compiled worker entry next to this module. Running from TypeScript sources (tests), there is
 * none, and packuments load on the calling thread.
 */
export function workerEntry(
  script: string | URL = new URL('./_worker.js', import.meta.url),
): string | undefined {
  const file = script instanceof URL || script.startsWith('file:') ? fileURLToPath(script) : script
  return existsSync(file) ? file : undefined
}

/**
 * The host's Node flags minus resolution conditions: the worker is compiled JavaScript, and a
 * condition such as a test runner's `source` would point its imports at TypeScript files.
 */
function workerExecArgv(): string[] {
  const args: string[] = []
  for (let i = 0; i < process.execArgv.length; i++) {
    const arg = process.execArgv[i]!
    if (arg === '--conditions' || arg === '-C') i++
    else if (!arg.startsWith('--conditions=')) args.push(arg)
  }
  return args
}

export function createPackumentWorkers(
  count: number,
  setup: WorkerSetup,
  filename: string | undefined,
): PackumentWorkers | undefined {
  if (count <= 0 || filename === undefined) return undefined
  const pool = new Tinypool({
    filename,
    minThreads: count,
    maxThreads: count,
    // Loads are mostly waiting on the network: each worker runs many at once.
    concurrentTasksPerWorker: 1024,
    isolateWorkers: false,
    execArgv: workerExecArgv(),
    workerData: setup,
  })
  return {
    async load(task, authorization, emit, dns) {
      const host = new URL(task.url).hostname
      // A failed lookup is left to the worker, whose connect then fails and is retried and reported.
      const addresses = task.offline ? undefined : await dns.resolve(host).catch(() => undefined)
      const request: WorkerRequest = { task, authorization, addresses }
      const reply = (await pool.run(request)) as WorkerReply
      for (const event of reply.events) emit(event)
      if (reply.error) throw deserialiseError(reply.error)
      return { packument: JSON.parse(reply.packumentText!) as Packument, cacheText: reply.cacheText }
    },
    close: () => pool.destroy(),
  }
}
