/** How many retries one URL gets, and how long to wait before each (npm's `fetch-retry-*`). */
export interface RetryPolicy {
  retries: number
  minTimeout: number
  maxTimeout: number
  /** Each wait is this many times the one before (npm's `fetch-retry-factor`). */
  factor: number
}

/**
 * npm's backoff before retry number `attempt` (1-based): `minTimeout × factor^(attempt−1)`, with up
 * to 20% jitter so that many requests failing together do not come back together; never above
 * `maxTimeout`.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const base = policy.minTimeout * policy.factor ** (attempt - 1)
  // npm accepts a factor of Infinity (and 0 × Infinity is NaN): the cap then.
  if (!(base < policy.maxTimeout)) return policy.maxTimeout
  const jittered = base * (1 + Math.random() * 0.2)
  return Math.round(Math.min(policy.maxTimeout, jittered))
}

/**
 * A `Retry-After` header (delay in seconds, or an HTTP date) as milliseconds from `now`, capped at
 * `maxTimeout`; undefined when absent or unreadable.
 */
export function retryAfterDelay(
  header: string | undefined,
  maxTimeout: number,
  now = Date.now(),
): number | undefined {
  if (header === undefined) return undefined
  const trimmed = header.trim()
  let delay: number
  if (/^\d+(\.\d+)?$/.test(trimmed)) delay = Number(trimmed) * 1000
  else {
    const date = Date.parse(trimmed)
    if (Number.isNaN(date)) return undefined
    delay = date - now
  }
  return Math.round(Math.min(maxTimeout, Math.max(0, delay)))
}

/** True for statuses worth another try: server errors and rate limiting. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408
}

/** Waits `ms`, rejecting early with the signal's reason when it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
