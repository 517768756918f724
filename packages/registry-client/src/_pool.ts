import type { LookupAddress } from 'node:dns'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import type { ConnectionSettings } from './_dispatcher.js'
import type { MemoisedLookup } from './_dns.js'
import { type DocumentIndex, packumentFromIndex } from './_document.js'
import { deserialiseError, type SerialisedError } from './_errors.js'
import { type PackumentText, packumentFromText } from './_lazy.js'
import type { PackumentResult, PackumentTask } from './_packument.js'
import type { RetryPolicy } from './_retry.js'
import type { RegistryEvent } from './types.js'

/** What every worker session starts with. */
export interface WorkerSession {
  setup: { settings: ConnectionSettings; policy: RetryPolicy; userAgent: string }
  port: MessagePort
}

/** One packument to load in a worker. */
export interface WorkerRequest {
  id: number
  task: PackumentTask
  /** authHeaderFor(task.url), asked on the main thread (functions do not cross threads). */
  authorization: string | undefined
  /** The registry host's addresses, looked up once by the main thread. */
  addresses: LookupAddress[] | undefined
}

/**
 * A packument as a worker sends it: a scanned document (most of them), or the reduced text of one
 * that had to be parsed in one piece.
 */
export type WorkerPackument = { index: DocumentIndex } | { text: PackumentText }

/** An event of a running load, or its outcome. */
export interface WorkerReply {
  id: number
  event?: RegistryEvent
  packument?: WorkerPackument
  error?: SerialisedError
}

export interface PackumentWorkers {
  load(
    task: PackumentTask,
    authorization: string | undefined,
    emit: (event: RegistryEvent) => void,
    dns: MemoisedLookup,
  ): Promise<PackumentResult>
  close(): Promise<void>
}

/**
 * The default `workers` option, chosen by measurement (README, "Design and measurements"): none,
 * since documents are read lazily on the calling thread.
 */
export function defaultWorkerCount(): number {
  return 0
}

/**
 * A compiled worker script (default: the packument worker), if it exists (it does not when
 * running from TypeScript sources).
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

interface Pending {
  resolve: (reply: WorkerReply) => void
  reject: (error: unknown) => void
  emit: (event: RegistryEvent) => void
}

/**
 * The pool, or undefined without workers. tinypool loads here, not with this module: it loads
 * node:child_process and more, ~7 ms of every start-up (CPU profile) for workers that are off by
 * default.
 */
export async function createPackumentWorkers(
  count: number,
  setup: WorkerSession['setup'],
  filename: string | undefined,
): Promise<PackumentWorkers | undefined> {
  if (count <= 0 || filename === undefined) return undefined
  const { default: Tinypool } = await import('tinypool')
  const pool = new Tinypool({ filename, minThreads: count, maxThreads: count, execArgv: workerExecArgv() })
  // `connections` is per origin: the workers share it.
  const connections = Math.max(1, Math.ceil(setup.settings.connections / count))
  const sessionSetup = { ...setup, settings: { ...setup.settings, connections } }
  const pending = new Map<number, Pending>()
  let nextId = 0
  // A worker that dies (out of memory, a bug) fails what it was doing and every later load.
  let broken: unknown
  const fail = (error: unknown) => {
    broken ??= error
    for (const waiting of pending.values()) waiting.reject(error)
    pending.clear()
  }
  const ports = Array.from({ length: count }, () => {
    const { port1, port2 } = new MessageChannel()
    const session: WorkerSession = { setup: sessionSetup, port: port2 }
    const done = pool.run(session, { transferList: [port2] }).catch(fail)
    port1.on('message', (reply: WorkerReply) => {
      const waiting = pending.get(reply.id)
      if (!waiting) return
      if (reply.event) {
        waiting.emit(reply.event)
        return
      }
      pending.delete(reply.id)
      if (pending.size === 0) for (const { port } of ports) port.unref()
      waiting.resolve(reply)
    })
    // Idle sessions do not keep the process alive; a load in flight does.
    port1.unref()
    return { port: port1, done }
  })

  return {
    async load(task, authorization, emit, dns) {
      // A failed lookup is left to the worker, whose connect then fails and is retried and reported.
      const host = new URL(task.url).hostname
      const addresses = task.offline ? undefined : await dns.resolve(host).catch(() => undefined)
      if (broken !== undefined) throw broken
      const id = nextId++
      const { port } = ports[id % ports.length]!
      const reply = await new Promise<WorkerReply>((resolve, reject) => {
        pending.set(id, { resolve, reject, emit })
        for (const session of ports) session.port.ref()
        port.postMessage({ id, task, authorization, addresses } satisfies WorkerRequest)
      })
      if (reply.error) throw deserialiseError(reply.error)
      const received = reply.packument!
      const packument =
        'index' in received ? packumentFromIndex(received.index) : packumentFromText(received.text)
      // The worker wrote the cache file itself.
      return { packument }
    },
    async close() {
      for (const { port } of ports) port.postMessage('close')
      await Promise.all(ports.map(({ done }) => done))
      for (const { port } of ports) port.close()
      await pool.destroy()
    },
  }
}
