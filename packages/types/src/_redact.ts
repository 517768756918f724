// URLs as they may be shown: in an error message, a log line, a trace. A registry URL can carry a
// user and password (`https://user:secret@host/`), and a tarball URL a token in its query (private
// registries and storage buckets sign their links), and neither may reach a terminal or a CI log.

const HIDDEN = '***'

/**
 * Query parameters whose value is a credential, by a word their name contains (`token`,
 * `access_token`, `X-Amz-Signature`, `api_key`, `auth`…).
 */
const SECRET_PARAMETER = /token|auth|key|secret|pass|pwd|sig|credential|session/i

/** The scheme and `//`, then everything up to an `@` that comes before the path: the user info. */
const USER_INFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i

/**
 * `url` with its credentials replaced by `***`: the user info (`user:password@`) and the value of
 * every query parameter named like a credential. The rest is left exactly as it was written (it is
 * not parsed and printed again), and so is a URL without credentials.
 */
export function redactUrl(url: string): string {
  // Most URLs have neither: a look for two characters is all they cost.
  if (!url.includes('@') && !url.includes('?')) return url
  let redacted = url.replace(USER_INFO, `$1${HIDDEN}@`)
  const query = redacted.indexOf('?')
  if (query !== -1) {
    const fragment = redacted.indexOf('#', query)
    const end = fragment === -1 ? redacted.length : fragment
    const parameters = redacted
      .slice(query + 1, end)
      .split('&')
      .map((parameter) => {
        const equals = parameter.indexOf('=')
        const name = equals === -1 ? parameter : parameter.slice(0, equals)
        return equals !== -1 && SECRET_PARAMETER.test(safeDecode(name)) ? `${name}=${HIDDEN}` : parameter
      })
    redacted = `${redacted.slice(0, query + 1)}${parameters.join('&')}${redacted.slice(end)}`
  }
  return redacted
}

/**
 * A URL written in text: a scheme, `://`, then anything up to a space, a quote or a bracket, less
 * the punctuation that ends a sentence or a clause after it (`GET <url>: HTTP 503`).
 */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>()[\]{}]*[^\s"'`<>()[\]{}.,:;!?]/gi

/** `text` with every URL in it passed through {@link redactUrl}: for messages that quote URLs. */
export function redactUrlsIn(text: string): string {
  if (!text.includes('://')) return text
  return text.replace(URL_IN_TEXT, redactUrl)
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
