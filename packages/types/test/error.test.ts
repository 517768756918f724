import { describe, expect, it } from 'vitest'
import { isToteError, ToteError } from '../src/index.js'

describe('ToteError', () => {
  it('carries a stable code, a hint, a cause and details', () => {
    const cause = new Error('socket hang up')
    const error = new ToteError('ECONNRESET', 'GET /react failed', {
      hint: 'Check your network',
      cause,
      details: { tries: 3 },
    })
    expect(error).toBeInstanceOf(Error)
    expect(error.code).toBe('ECONNRESET')
    expect(error.hint).toBe('Check your network')
    expect(error.cause).toBe(cause)
    expect(error.details).toEqual({ tries: 3 })
    expect(error.message).toBe('GET /react failed')
  })

  it('is recognised across package copies by name and code', () => {
    const foreign = Object.assign(new Error('x'), { name: 'ToteError', code: 'E404' })
    expect(isToteError(foreign)).toBe(true)
    expect(isToteError(new Error('plain'))).toBe(false)
    expect(isToteError(new ToteError('E1', 'm'))).toBe(true)
  })
})
