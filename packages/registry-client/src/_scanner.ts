import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { ToteError } from '@tote/types'
import type { DocumentIndex } from './_document.js'

/** One large body to scan and compact, its chunks moved (not copied) to the worker. */
export interface ScanRequest {
  id: number
  chunks: Uint8Array[]
  size: number
  name: string
}

/** The document's index, or the chunks given back when they are not a packument's JSON. */
export type ScanReply = { id: number; index: DocumentIndex } | { id: number; chunks: Uint8Array[] }

/**
 * Scans large documents (see _document.ts) on a thread of their own. The calling thread reads
 * every body, runs the resolver and sends the requests: on vite-react-ts it is busy the whole
 * resolve, and compacting the 1 MB+ documents was most of its work (scan, copy, page faults).
 */
export interface DocumentScanner {
  /**
   * The index of a body, scanned by the worker; `undefined` when the worker is not running yet or
   * is busy with another document (the caller scans on its own thread). The chunks are moved to the worker either way, unless
   * undefined is returned; `{ chunks }` gives them back when they are not a packument's JSON.
   */
  scan(chunks: readonly Uint8Array[], size: number, name: string): Promise<ScanReply> | undefined
  close(): Promise<void>
}

/** The compiled scanner module, if it exists (it does not when running from TypeScript sources). */
export function scannerEntry(
  script: string | URL = new URL('./_scan-worker.js', import.meta.url),
): string | undefined {
  const file = script instanceof URL || script.startsWith('file:') ? fileURLToPath(script) : script
  return existsSync(file) ? file : undefined
}

export function createDocumentScanner(script: string): DocumentScanner {
  const worker = new Worker(script, { execArgv: [] })
  // Never what keeps the process alive: a pending scan is awaited by someone who holds a request.
  worker.unref()
  let online = false
  let failure: unknown
  let nextId = 0
  const pending = new Map<number, { resolve: (reply: ScanReply) => void; reject: (error: unknown) => void }>()
  worker.once('online', () => {
    online = true
  })
  worker.on('message', (reply: ScanReply) => {
    const waiting = pending.get(reply.id)
    pending.delete(reply.id)
    waiting?.resolve(reply)
  })
  const fail = (error: unknown) => {
    failure ??= error
    for (const { reject } of pending.values()) {
      reject(
        new ToteError('EWORKER', 'The thread that scans registry documents stopped', {
          hint: 'This is a bug in tote; run again with --fetch-workers 0 meanwhile.',
          cause: error,
        }),
      )
    }
    pending.clear()
  }
  worker.on('error', fail)
  worker.on('exit', (code) => fail(new Error(`scanner thread exited with code ${code}`)))
  return {
    scan(chunks, size, name) {
      // A document sent while another is being scanned would wait for it (typescript's 10 MB before
      // rolldown's 1.2 MB, on vite-react-ts's critical path): the calling thread scans it instead.
      if (!online || failure !== undefined || pending.size > 0) return undefined
      const id = nextId++
      // A chunk that owns its memory moves; one that shares it (the first, with the headers) is copied.
      const moved = chunks.map((chunk) =>
        chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength
          ? chunk
          : new Uint8Array(chunk),
      )
      return new Promise<ScanReply>((resolve, reject) => {
        pending.set(id, { resolve, reject })
        worker.postMessage(
          { id, chunks: moved, size, name } satisfies ScanRequest,
          moved.map((c) => c.buffer as ArrayBuffer),
        )
      })
    },
    async close() {
      failure ??= new Error('closed')
      await worker.terminate()
    },
  }
}
