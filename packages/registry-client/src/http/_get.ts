import { isToteError, redactUrl, ToteError } from '@tote/types'
import type { RegistryEvent } from '../types.js'
import type { BodyGate, GatePass } from './_body-gate.js'
import type { Connections } from './_connections.js'
import {
  BodyFault,
  bodyFaultError,
  httpError,
  type NetworkErrorKind,
  networkError,
  networkErrorKind,
  type RequestSubject,
} from './_errors.js'
import { backoffDelay, isRetryableStatus, type RetryPolicy, retryAfterDelay, sleep } from './_retry.js'

/** What a {@link httpGet} needs besides the request itself. */
export interface HttpContext {
  connections: Connections
  policy: RetryPolicy
  userAgent: string
  /** Authorization header value for one URL (each redirect hop asks again). */
  authHeaderFor: (url: string) => string | undefined
  emit: (event: RegistryEvent) => void
  /** Large bodies of gated requests take turns (see createBodyGate). */
  gate?: BodyGate | undefined
}

/**
 * Receives one attempt's body; a retry gets a new one. A ToteError thrown by `push` or `finish`
 * rejects the body (a damaged document, a tarball that fails its check): that try failed, and the
 * request is tried again at once, within the same retries as any other fault.
 */
export interface BodySink<T> {
  push(chunk: Uint8Array): void
  finish(): T | Promise<T>
}

export interface HttpGetRequest<T> {
  subject: RequestSubject
  headers: Record<string, string>
  signal?: AbortSignal | undefined
  /** Called once per attempt that gets a 2xx response. */
  createSink: (headers: Record<string, string | string[] | undefined>, status: number) => BodySink<T>
  /** Statuses returned as they are (e.g. 304 for a conditional request). */
  passStatuses?: readonly number[]
  /** Whether the body waits its turn at the context's gate when it is large. */
  gated?: boolean
}

export interface HttpGetResult<T> {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** The sink's result for 2xx; undefined for a passed status. */
  body: T | undefined
  tries: number
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])
const MAX_REDIRECTS = 10

export function headerValue(headers: Record<string, string | string[] | undefined>, name: string) {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** Thrown (and retried) when a body ends before its Content-Length. */
function truncatedError(received: number, expected: number): Error {
  return Object.assign(new Error(`body ended after ${received} of ${expected} bytes`), { code: 'ETRUNCATED' })
}

/**
 * GET with redirects, retries and truncation checks. Every fault of a try counts against the same
 * `policy.retries`: network errors and timeouts, 5xx, 429, 408 and a body shorter than its
 * Content-Length (after npm's backoff, or Retry-After), and a body the sink rejects (at once).
 * Resolves on 2xx (with the sink's result) and on `passStatuses`; throws a ToteError otherwise,
 * which counts the tries made.
 */
export async function httpGet<T>(
  context: HttpContext,
  request: HttpGetRequest<T>,
): Promise<HttpGetResult<T>> {
  const { policy } = context
  const { signal, subject } = request
  for (let attempt = 1; ; attempt++) {
    let outcome: AttemptOutcome<T>
    let body: T | undefined
    try {
      outcome = await attemptGet(context, request)
      if ('result' in outcome && outcome.result.sink) body = await finishBody(outcome.result.sink)
    } catch (error) {
      if (signal?.aborted) throw signal.reason
      if (error instanceof BodyFault) {
        if (attempt > policy.retries) throw bodyFaultError(subject, error.fault, attempt)
        // The server answered, whole: there is no load to back off from (npm's pacote, too,
        // downloads a tarball that failed its check again at once).
        await waitToRetry(context, subject, attempt, error.fault.code, 0, signal)
        continue
      }
      const kind = networkErrorKind(error)
      if (kind === undefined) throw error
      if (attempt > policy.retries) throw networkError(subject, kind, error, attempt)
      await waitToRetry(
        context,
        subject,
        attempt,
        describe(kind, error),
        backoffDelay(policy, attempt),
        signal,
      )
      continue
    }
    if ('result' in outcome) {
      return { status: outcome.result.status, headers: outcome.result.headers, body, tries: attempt }
    }
    if (!isRetryableStatus(outcome.status) || attempt > policy.retries) {
      throw httpError(subject, outcome.status, attempt)
    }
    const delay = outcome.retryAfter ?? backoffDelay(policy, attempt)
    await waitToRetry(context, subject, attempt, `HTTP ${outcome.status}`, delay, signal)
  }
}

type Headers = Record<string, string | string[] | undefined>

/** Announces retry number `attempt` and waits `delay` ms before it. */
function waitToRetry(
  context: HttpContext,
  subject: RequestSubject,
  attempt: number,
  reason: string,
  delay: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  context.emit({ type: 'retry', url: redactUrl(subject.url), attempt, reason, delay })
  return sleep(delay, signal)
}

/** The sink's result; a ToteError it throws is a fault of the try (see BodySink). */
async function finishBody<T>(sink: BodySink<T>): Promise<T> {
  try {
    return await sink.finish()
  } catch (error) {
    throw isToteError(error) ? new BodyFault(error) : error
  }
}

function describe(kind: NetworkErrorKind, error: unknown): string {
  const code = (error as { code?: string }).code
  return `${kind === 'other' ? 'network error' : kind}${code ? ` (${code})` : ''}`
}

type AttemptOutcome<T> =
  | {
      /** The body has arrived whole; `sink` (undefined for a passed status) has yet to finish it. */
      result: { status: number; headers: Headers; sink?: BodySink<T> }
    }
  | { status: number; retryAfter: number | undefined }

async function attemptGet<T>(context: HttpContext, request: HttpGetRequest<T>): Promise<AttemptOutcome<T>> {
  let url = request.subject.url
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const target = new URL(url)
    const headers: Record<string, string> = { 'user-agent': context.userAgent, ...request.headers }
    const authorization = context.authHeaderFor(url)
    if (authorization !== undefined) headers.authorization = authorization
    const started = performance.now()
    // Events are for progress and logs: the URL they carry is the one shown (see redactUrl).
    const shown = redactUrl(url)
    context.emit({ type: 'request-start', url: shown })
    let status = 0
    let bytes = 0
    try {
      const response = await context.connections.request({
        origin: target.origin,
        path: target.pathname + target.search,
        method: 'GET',
        headers,
        signal: request.signal,
      })
      status = response.statusCode
      const location = headerValue(response.headers, 'location')
      if (REDIRECTS.has(status) && location !== undefined) {
        await response.body.dump()
        url = new URL(location, url).href
        continue
      }
      if (status >= 200 && status < 300) {
        let sink: BodySink<T>
        try {
          sink = request.createSink(response.headers, status)
        } catch (error) {
          response.body.destroy()
          throw error
        }
        const expected = Number(headerValue(response.headers, 'content-length') ?? Number.NaN)
        context.emit({ type: 'response-start', url: shown, status, bytes: expected })
        // Listened to rather than iterated: an async iterator costs a promise per chunk.
        const body = response.body
        let pass: GatePass | undefined
        try {
          await new Promise<void>((resolve, reject) => {
            body.on('data', (chunk: Buffer) => {
              bytes += chunk.length
              pass?.received(chunk.length)
              try {
                sink.push(chunk)
              } catch (error) {
                body.destroy(isToteError(error) ? new BodyFault(error) : (error as Error))
              }
            })
            body.once('end', resolve)
            body.once('error', reject)
            if (request.gated) pass = context.gate?.enter(body, expected)
          })
        } finally {
          pass?.leave()
        }
        if (!Number.isNaN(expected) && bytes !== expected) throw truncatedError(bytes, expected)
        return { result: { status, headers: response.headers, sink } }
      }
      await response.body.dump()
      if (request.passStatuses?.includes(status)) {
        return { result: { status, headers: response.headers } }
      }
      const retryAfter = retryAfterDelay(
        headerValue(response.headers, 'retry-after'),
        context.policy.maxTimeout,
      )
      return { status, retryAfter }
    } finally {
      context.emit({
        type: 'request-end',
        url: shown,
        status,
        bytes,
        ms: Math.round(performance.now() - started),
        fromCache: status === 304,
      })
    }
  }
  const shown = redactUrl(request.subject.url)
  throw new ToteError('EHTTP', `Too many redirects fetching ${shown}`, {
    hint: 'The registry (or a proxy) redirects in a loop; check the registry URL.',
    details: { url: shown, status: 0, tries: 1 },
  })
}
