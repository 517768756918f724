import { describe, expect, it } from 'vitest'
import {
  fromPlainError,
  isToteError,
  SYSTEM_FAULT_CODES,
  TOTE_ERROR_CODES,
  ToteError,
  toPlainError,
} from '../src/index.js'

describe('ToteError', () => {
  it('carries a stable code, a hint, a cause and details', () => {
    const cause = new Error('socket hang up')
    const error = new ToteError('ENETWORK', 'GET /react failed', {
      hint: 'Check your network',
      cause,
      details: { tries: 3 },
    })
    expect(error).toBeInstanceOf(Error)
    expect(error.code).toBe('ENETWORK')
    expect(error.hint).toBe('Check your network')
    expect(error.cause).toBe(cause)
    expect(error.details).toEqual({ tries: 3 })
    expect(error.message).toBe('GET /react failed')
  })

  it('is recognised across package copies by name and code', () => {
    const foreign = Object.assign(new Error('x'), { name: 'ToteError', code: 'E404' })
    expect(isToteError(foreign)).toBe(true)
    expect(isToteError(new Error('plain'))).toBe(false)
    expect(isToteError(new ToteError('E404', 'm'))).toBe(true)
  })

  it('takes the codes of the list, and a code known only at run time', () => {
    // @ts-expect-error: a code written out must be one of ToteErrorCode (typecheck fails otherwise)
    expect(new ToteError('ECONNRESET', 'm').code).toBe('ECONNRESET')
    const fromData: string = JSON.parse('"ETARGET"')
    const rebuilt = new ToteError(fromData, 'm')
    expect(rebuilt.code).toBe('ETARGET')
    expect(rebuilt).toBeInstanceOf(ToteError)
    expect(rebuilt).toBeInstanceOf(Error)
    expect(rebuilt.name).toBe('ToteError')
    expect(rebuilt.stack).toContain('ToteError: m')
  })

  it("lists each code once, tote's own apart from the system faults, all shaped E + capitals", () => {
    const all = [...TOTE_ERROR_CODES, ...SYSTEM_FAULT_CODES]
    expect(new Set(all).size).toBe(all.length)
    for (const code of all) expect(code).toMatch(/^E[A-Z0-9]+$/)
    // Socket error names are the system's, not tote's.
    for (const socket of ['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'ENOTFOUND', 'EPIPE']) {
      expect(all).not.toContain(socket)
    }
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
