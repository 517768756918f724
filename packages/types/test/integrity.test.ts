import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { strongestHash } from '../src/index.js'

const data = Buffer.from('hello')
const sha512 = createHash('sha512').update(data).digest('base64')
const sha1 = createHash('sha1').update(data).digest('base64')

describe('strongestHash', () => {
  it('picks sha512 over sha1 in a multi-hash SRI string, whatever the order', () => {
    const hash = strongestHash(`sha1-${sha1} sha512-${sha512}?opt`)
    expect(hash).toEqual({
      algorithm: 'sha512',
      base64: sha512,
      hex: createHash('sha512').update(data).digest('hex'),
      sri: `sha512-${sha512}`,
    })
  })

  it('falls back to sha1 when that is all there is', () => {
    expect(strongestHash(`sha1-${sha1}`).algorithm).toBe('sha1')
  })

  it('skips unknown algorithms and digests of the wrong length', () => {
    expect(strongestHash(`md5-abc sha512-AAAA sha1-${sha1}`).sri).toBe(`sha1-${sha1}`)
  })

  it('rejects a string with no usable hash', () => {
    expect(() => strongestHash('sha512-not*base64')).toThrow(
      expect.objectContaining({ code: 'EBADINTEGRITY' }),
    )
  })
})
