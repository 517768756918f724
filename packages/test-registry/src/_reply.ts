import type { IncomingMessage, ServerResponse } from 'node:http'
import { STATUS_CODES } from 'node:http'
import type { Fault } from './types.js'

/** A response before it is sent, so that a fault can still change it. */
export interface Reply {
  status: number
  headers: Record<string, string>
  body: Buffer
}

export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: Buffer.from(JSON.stringify(value)),
  }
}

export function hasToken(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization
  return header !== undefined && /^bearer /i.test(header) && header.slice(7) === token
}

export function unauthorizedReply(): Reply {
  return jsonReply(401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer realm="test-registry"' })
}

/** The reply of a fault with a `status`: its body as text, or an npm-like JSON error. */
export function faultStatusReply(fault: Fault & { status: number }): Reply {
  if (fault.body !== undefined) {
    return { status: fault.status, headers: { 'content-type': 'text/plain' }, body: Buffer.from(fault.body) }
  }
  return jsonReply(fault.status, { error: STATUS_CODES[fault.status] ?? 'error' })
}

/** Flips (XOR 0xff) up to 16 bytes in the middle of a copy of `body`: same length, different bytes. */
export function corruptBytes(body: Buffer): Buffer {
  const copy = Buffer.from(body)
  const start = Math.floor(copy.length / 2)
  for (let i = start; i < Math.min(copy.length, start + 16); i++) copy[i] = copy[i]! ^ 0xff
  return copy
}

const RESET_GRACE_MS = 50

/**
 * Sends `reply`, applying the body faults: corrupt, then reset (RST after N bytes), truncate (FIN
 * after N bytes) or stall (N bytes, then silence). All advertise the full content-length. `later`
 * runs a callback after a delay that close() cancels.
 */
export function sendReply(
  res: ServerResponse,
  reply: Reply,
  fault: Fault | undefined,
  isHead: boolean,
  later: (ms: number, run: () => void) => void,
): void {
  const body = fault?.corrupt ? corruptBytes(reply.body) : reply.body
  const headers: Record<string, string> = { ...reply.headers, ...fault?.headers }
  const hasBody = reply.status !== 304 && reply.status !== 204
  if (hasBody) headers['content-length'] = String(body.length)
  res.writeHead(reply.status, headers)
  if (isHead || !hasBody) {
    res.end()
    return
  }
  const reset = fault?.resetAfterBytes
  const truncate = fault?.truncateAfterBytes
  const stall = fault?.stallAfterBytes
  if (reset === undefined && truncate === undefined) {
    if (stall === undefined) res.end(body)
    else stallBody(res, body, stall, fault?.stallMs, later)
    return
  }
  const sent = body.subarray(0, Math.max(0, reset ?? truncate ?? 0))
  res.flushHeaders()
  res.write(sent, () => {
    const socket = res.socket
    if (!socket || socket.destroyed) return
    if (reset === undefined) {
      socket.end()
      return
    }
    // Linux reports an RST that arrives before the client has read the bytes as a clean EOF: give
    // the client a moment to read them, so that it sees ECONNRESET after the partial body.
    later(RESET_GRACE_MS, () => {
      if (!socket.destroyed) socket.resetAndDestroy()
    })
  })
}

/** Sends `bytes` of the body, then nothing until `stallMs` has passed (forever without it), then the rest. */
function stallBody(
  res: ServerResponse,
  body: Buffer,
  bytes: number,
  stallMs: number | undefined,
  later: (ms: number, run: () => void) => void,
): void {
  res.flushHeaders()
  res.write(body.subarray(0, Math.max(0, bytes)))
  if (stallMs === undefined) return
  later(stallMs, () => {
    if (!res.destroyed) res.end(body.subarray(Math.max(0, bytes)))
  })
}
