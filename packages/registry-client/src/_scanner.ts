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
 * Scans large documents (see _document.ts) on a thread of their own, so that the calling thread,
 * which reads every body, runs the resolver and sends the requests, does not. Opt-in
 * (`scanWorker`): it measured no faster (README, "Design and measurements").
 */
export interface DocumentScanner {
  /**
   * The index of a body, scanned by the worker; `undefined` when the worker is not running yet or
   * is busy with another document (the caller then scans it itself). Otherwise the chunks are moved
   * to the worker; `{ chunks }` gives them back when they are not a packument's JSON.
   */
  scan(chunks: readonly Uint8Array[], size: number, name: string): Promise<ScanReply> | undefined
  close(): Promise<void>
}

export function createDocumentScanner(script: string): DocumentScanner {
  // Compiled JavaScript: none of the host's flags (a test runner's `--conditions source` would
  // point its imports at TypeScript files).
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
