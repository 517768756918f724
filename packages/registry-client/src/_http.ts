import { ToteError } from '@tote/types'
import {
  httpError,
  type NetworkErrorKind,
  networkError,
  networkErrorKind,
  type RequestSubject,
} from './_errors.js'
import type { BodyGate, GatePass } from './_gate.js'
import type { RequestDispatcher } from './_lazy-dispatcher.js'
import { backoffDelay, isRetryableStatus, type RetryPolicy, retryAfterDelay, sleep } from './_retry.js'
import type { RegistryEvent } from './types.js'

/** What a {@link httpGet} needs besides the request itself. */
export interface HttpContext {
  dispatcher: RequestDispatcher
  policy: RetryPolicy
  userAgent: string
  /** Authorization header value for one URL (each redirect hop asks again). */
  authHeaderFor: (url: string) => string | undefined
  emit: (event: RegistryEvent) => void
  /** Large bodies of gated requests take turns (see createBodyGate). */
  gate?: BodyGate | undefined
}

/** Receives one attempt's body; a retry gets a new one. */
export interface BodySink<T> {
  push(chunk: Uint8Array): void
  finish(): T
}

export interface HttpGetRequest<T> {
  subject: RequestSubject
  headers: Record<string, string>
  signal?: AbortSignal | undefined
  /** Called once per attempt that gets a 2xx response. */
  createSink: (headers: Record<string, string | string[] | undefined>) => BodySink<T>
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
 * GET with redirects, retries (network errors, 5xx, 429, 408; exponential backoff or Retry-After),
 * and truncation checks. Resolves on 2xx and on `passStatuses`; throws a ToteError otherwise.
 */
export async function httpGet<T>(
  context: HttpContext,
  request: HttpGetRequest<T>,
): Promise<HttpGetResult<T>> {
  const { policy, emit } = context
  const { signal, subject } = request
  for (let attempt = 1; ; attempt++) {
    let outcome: AttemptOutcome<T>
    try {
      outcome = await attemptGet(context, request)
    } catch (error) {
      if (signal?.aborted) throw signal.reason
      const kind = networkErrorKind(error)
      if (kind === undefined) throw error
      if (attempt > policy.retries) throw networkError(subject, kind, error, attempt)
      const delay = backoffDelay(policy, attempt)
      emit({ type: 'retry', url: subject.url, attempt, reason: describe(kind, error), delay })
      await sleep(delay, signal)
      continue
    }
    if ('result' in outcome) return { ...outcome.result, tries: attempt }
    if (!isRetryableStatus(outcome.status) || attempt > policy.retries) {
      throw httpError(subject, outcome.status, attempt)
    }
    const delay = outcome.retryAfter ?? backoffDelay(policy, attempt)
    emit({ type: 'retry', url: subject.url, attempt, reason: `HTTP ${outcome.status}`, delay })
    await sleep(delay, signal)
  }
}

function describe(kind: NetworkErrorKind, error: unknown): string {
  const code = (error as { code?: string }).code
  return `${kind === 'other' ? 'network error' : kind}${code ? ` (${code})` : ''}`
}

type AttemptOutcome<T> =
  | { result: Omit<HttpGetResult<T>, 'tries'> }
  | { status: number; retryAfter: number | undefined }

async function attemptGet<T>(context: HttpContext, request: HttpGetRequest<T>): Promise<AttemptOutcome<T>> {
  let url = request.subject.url
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const target = new URL(url)
    const headers: Record<string, string> = { 'user-agent': context.userAgent, ...request.headers }
    const authorization = context.authHeaderFor(url)
    if (authorization !== undefined) headers.authorization = authorization
    const started = performance.now()
    context.emit({ type: 'request-start', url })
    let status = 0
    let bytes = 0
    try {
      const response = await context.dispatcher.request({
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
        const sink = request.createSink(response.headers)
        const expected = Number(headerValue(response.headers, 'content-length') ?? Number.NaN)
        context.emit({ type: 'response-start', url, status, bytes: expected })
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
                body.destroy(error as Error)
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
        return { result: { status, headers: response.headers, body: sink.finish() } }
      }
      await response.body.dump()
      if (request.passStatuses?.includes(status)) {
        return { result: { status, headers: response.headers, body: undefined } }
      }
      const retryAfter = retryAfterDelay(
        headerValue(response.headers, 'retry-after'),
        context.policy.maxTimeout,
      )
      return { status, retryAfter }
    } finally {
      context.emit({
        type: 'request-end',
        url,
        status,
        bytes,
        ms: Math.round(performance.now() - started),
        fromCache: status === 304,
      })
    }
  }
  throw new ToteError('EHTTP', `Too many redirects fetching ${request.subject.url}`, {
    hint: 'The registry (or a proxy) redirects in a loop; check the registry URL.',
    details: { url: request.subject.url, status: 0, tries: 1 },
  })
}
