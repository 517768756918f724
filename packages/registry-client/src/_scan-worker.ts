// The scanner thread (see _scanner.ts): indexes the documents it is sent and moves the compact
// bytes back.
import { parentPort } from 'node:worker_threads'
import { indexDocument } from './_document.js'
import type { ScanReply, ScanRequest } from './_scanner.js'

parentPort?.on('message', ({ id, chunks, size, name }: ScanRequest) => {
  let reply: ScanReply
  try {
    const index = indexDocument(chunks, size, name)
    reply = index ? { id, index } : { id, chunks }
  } catch {
    reply = { id, chunks }
  }
  const moved =
    'index' in reply ? [...reply.index.chunks.map((c) => c.buffer), reply.index.offsets.buffer] : []
  parentPort!.postMessage(reply, moved as ArrayBuffer[])
})
