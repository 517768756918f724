import { describe, expect, it } from 'vitest'
import { fromPlainError, isToteError, ToteError, toPlainError } from '../src/index.js'

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

describe('toPlainError / fromPlainError', () => {
  it('carries a ToteError across a structured clone with its code, hint and details', () => {
    const error = new ToteError('ETARGET', 'No version', { hint: 'Try another', details: { name: 'x' } })
    const back = fromPlainError(structuredClone(toPlainError(error)))
    expect(isToteError(back)).toBe(true)
    expect(back).toMatchObject({
      code: 'ETARGET',
      message: 'No version',
      hint: 'Try another',
      details: { name: 'x' },
    })
    expect(back.stack).toBe(error.stack)
  })

  it('keeps the errno fields of a system error', () => {
    const error = Object.assign(new Error("ENOSPC: no space left on device, open '/x'"), {
      code: 'ENOSPC',
      path: '/x',
      syscall: 'open',
    })
    const back = fromPlainError(structuredClone(toPlainError(error))) as NodeJS.ErrnoException
    expect(isToteError(back)).toBe(false)
    expect(back).toMatchObject({ code: 'ENOSPC', path: '/x', syscall: 'open', message: error.message })
  })

  it('makes an Error of anything thrown', () => {
    expect(fromPlainError(toPlainError('boom')).message).toBe('boom')
  })
})
