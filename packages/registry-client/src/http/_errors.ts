import { redactUrl, redactUrlsIn, ToteError } from '@tote/types'

/** What a failed request was about, for messages: a package name for packuments, else the URL. */
export interface RequestSubject {
  url: string
  /** Set for packument requests. */
  packageName?: string
  /** The registry URL the request belongs to, when known (for auth hints). */
  registry?: string
}

function registryOf(url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return url
  }
}

/** npm's per-registry config key prefix: `//host[:port]/path/`. */
function nerfDart(url: string): string {
  try {
    const parsed = new URL(url)
    return `//${parsed.host}${parsed.pathname.replace(/[^/]*$/, '')}`
  } catch {
    return url
  }
}

/**
 * The facts every request error carries. The URL is the one shown, without its credentials (see
 * redactUrl): details are for tools, which print them.
 */
function requestDetails(subject: RequestSubject, status: number, tries: number) {
  const { packageName } = subject
  return { url: redactUrl(subject.url), status, tries, ...(packageName === undefined ? {} : { packageName }) }
}

/** The ToteError for a final HTTP status (no more retries). */
export function httpError(subject: RequestSubject, status: number, tries: number): ToteError {
  const { packageName } = subject
  const url = redactUrl(subject.url)
  const details = requestDetails(subject, status, tries)
  if (status === 404) {
    const what = packageName === undefined ? `${url} was not found` : `package '${packageName}' was not found`
    return new ToteError('E404', `${what} (404 from ${url})`, {
      hint:
        packageName === undefined
          ? 'Check that the URL is right and that the registry still has this file.'
          : `Check the package name for typos, and that it is published on ${registryOf(url)} (the registry configured for it).`,
      details,
    })
  }
  if (status === 401 || status === 403) {
    return new ToteError('EAUTH', `${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'} from ${url}`, {
      hint: `Check the auth token configured for ${subject.registry === undefined ? registryOf(url) : redactUrl(subject.registry)} (\`${nerfDart(subject.registry ?? `${registryOf(url)}/`)}:_authToken\` in .npmrc) and that it may read this package.`,
      details,
    })
  }
  return new ToteError(
    'EHTTP',
    `HTTP ${status} from ${url} after ${tries} ${tries === 1 ? 'try' : 'tries'}`,
    {
      hint: status >= 500 ? 'The registry is failing; try again later.' : 'The registry refused the request.',
      details,
    },
  )
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
])
const RESET_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ETRUNCATED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'Z_BUF_ERROR',
  'Z_DATA_ERROR',
])
/** Errors worth another try that are neither timeouts nor resets (DNS hiccups, refused connections). */
const OTHER_RETRYABLE = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH'])

export type NetworkErrorKind = 'timeout' | 'reset' | 'other'

/** Classifies an error thrown while talking to a server; undefined when it is not a network error. */
export function networkErrorKind(error: unknown): NetworkErrorKind | undefined {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code !== 'string') return undefined
  if (TIMEOUT_CODES.has(code)) return 'timeout'
  if (RESET_CODES.has(code)) return 'reset'
  if (OTHER_RETRYABLE.has(code)) return 'other'
  return undefined
}

/** The code of the error underneath (a socket's `ECONNRESET`, undici's `UND_ERR_…`), if it has one. */
function causeCode(cause: unknown): string | undefined {
  const code = (cause as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/**
 * The ToteError for a network failure that outlived its retries: `ETIMEOUT` or `ENETWORK`, tote's
 * own codes. The error underneath keeps its name (the socket's, or undici's) in `details.reason` and
 * in the message, and is the `cause`.
 */
export function networkError(
  subject: RequestSubject,
  kind: NetworkErrorKind,
  cause: unknown,
  tries: number,
): ToteError {
  const url = redactUrl(subject.url)
  const code = causeCode(cause)
  const details = { ...requestDetails(subject, 0, tries), ...(code === undefined ? {} : { reason: code }) }
  const message = redactUrlsIn((cause as { message?: string } | null)?.message ?? String(cause))
  const reason = code === undefined || message.includes(code) ? message : `${code}: ${message}`
  const times = `${tries} ${tries === 1 ? 'try' : 'tries'}`
  if (kind === 'timeout') {
    return new ToteError('ETIMEOUT', `Timed out fetching ${url} after ${times} (${reason})`, {
      hint: 'Check your network or proxy; a slow registry may need a longer fetch timeout.',
      cause,
      details,
    })
  }
  if (kind === 'reset') {
    return new ToteError('ENETWORK', `Connection lost fetching ${url} after ${times} (${reason})`, {
      hint: 'Check your network or proxy, then try again.',
      cause,
      details,
    })
  }
  return new ToteError('ENETWORK', `Could not reach ${url} after ${times} (${reason})`, {
    hint: 'Check the registry URL, your network, DNS and proxy settings.',
    cause,
    details,
  })
}

/**
 * A body its reader rejected (a tarball that fails its integrity check, a damaged document): a
 * fault of that try, which counts against the same retries as a network error. Carries the
 * reader's ToteError.
 */
export class BodyFault extends Error {
  constructor(readonly fault: ToteError) {
    super(fault.message)
  }
}

/** The reader's error once no try is left: the same error, with the real number of tries. */
export function bodyFaultError(subject: RequestSubject, fault: ToteError, tries: number): ToteError {
  const details = { url: subject.url, ...fault.details, tries }
  if (typeof details.url === 'string') details.url = redactUrl(details.url)
  return new ToteError(
    fault.code,
    `${redactUrlsIn(fault.message)} (${tries} ${tries === 1 ? 'try' : 'tries'})`,
    { hint: fault.hint === undefined ? undefined : redactUrlsIn(fault.hint), cause: fault.cause, details },
  )
}
