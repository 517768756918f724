import { describe, expect, it } from 'vitest'
import { redactUrl, redactUrlsIn } from '../src/index.js'

describe('redactUrl', () => {
  it('hides the user and password of a URL', () => {
    expect(redactUrl('https://me:s3cret@127.0.0.1:4873/left-pad')).toBe('https://***@127.0.0.1:4873/left-pad')
    expect(redactUrl('http://token-only@127.0.0.1/')).toBe('http://***@127.0.0.1/')
    expect(redactUrl('git+https://me:s3cret@127.0.0.1/repo.git#main')).toBe(
      'git+https://***@127.0.0.1/repo.git#main',
    )
  })

  it('hides the value of query parameters named like credentials, and keeps the others', () => {
    expect(redactUrl('http://127.0.0.1/a/-/a-1.0.0.tgz?token=s3cret')).toBe(
      'http://127.0.0.1/a/-/a-1.0.0.tgz?token=***',
    )
    expect(
      redactUrl(
        'http://127.0.0.1/a.tgz?X-Amz-Credential=k1&X-Amz-Signature=s2&api_key=s3&access_token=s4&v=2#top',
      ),
    ).toBe(
      'http://127.0.0.1/a.tgz?X-Amz-Credential=***&X-Amz-Signature=***&api_key=***&access_token=***&v=2#top',
    )
    expect(redactUrl('http://127.0.0.1/a?%74oken=s3cret&auth=x&password=y&sig=z')).toBe(
      'http://127.0.0.1/a?%74oken=***&auth=***&password=***&sig=***',
    )
  })

  it('leaves a URL without credentials exactly as written', () => {
    for (const url of [
      'http://127.0.0.1:4873/@scope%2fname',
      'https://127.0.0.1/a/-/a-1.0.0.tgz',
      'http://127.0.0.1/search?text=left-pad&size=20',
      'http://127.0.0.1/@scope/name/-/name-1.0.0.tgz',
      'not a url',
    ]) {
      expect(redactUrl(url)).toBe(url)
    }
  })
})

describe('redactUrlsIn', () => {
  it('redacts every URL in a text and leaves the words around them', () => {
    expect(
      redactUrlsIn(
        "GET http://me:pw@127.0.0.1:1/a 200; then 'http://127.0.0.1:1/a.tgz?token=t' (https://u:p@127.0.0.1/b).",
      ),
    ).toBe(
      "GET http://***@127.0.0.1:1/a 200; then 'http://127.0.0.1:1/a.tgz?token=***' (https://***@127.0.0.1/b).",
    )
    expect(redactUrlsIn('no URL here: me:pw@host')).toBe('no URL here: me:pw@host')
    // the punctuation after a URL is the sentence's
    expect(
      redactUrlsIn('GET http://127.0.0.1/a.tgz?token=t: HTTP 503. Then http://u:p@127.0.0.1/, again.'),
    ).toBe('GET http://127.0.0.1/a.tgz?token=***: HTTP 503. Then http://***@127.0.0.1/, again.')
  })
})
