import type { ToteErrorOptions } from './types.js'

/**
 * The one error type that tote's stages throw for conditions a user can act on: a bad package.json,
 * an unknown package, a network failure. `code` is stable (tools and tests match on it), `hint`
 * says what to do. Programmer errors stay plain `Error`.
 */
export class ToteError extends Error {
  override readonly name = 'ToteError'
  readonly code: string
  readonly hint: string | undefined
  readonly details: Record<string, unknown>

  constructor(code: string, message: string, options: ToteErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.hint = options.hint
    this.details = options.details ?? {}
  }
}

/** True for a {@link ToteError}, also one created by another copy of this package. */
export function isToteError(value: unknown): value is ToteError {
  return (
    value instanceof ToteError || (value instanceof Error && value.name === 'ToteError' && 'code' in value)
  )
}
