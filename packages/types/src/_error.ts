import type { ToteErrorCode, ToteErrorOptions } from './types.js'

/**
 * The one error type that tote's stages throw for conditions a user can act on: a bad package.json,
 * an unknown package, a network failure. `code` is stable (tools and tests match on it) and one of
 * {@link ToteErrorCode}; `hint` says what to do. Programmer errors stay plain `Error`.
 */
export interface ToteError extends Error {
  readonly name: 'ToteError'
  readonly code: ToteErrorCode
  readonly hint: string | undefined
  readonly details: Record<string, unknown>
}

/**
 * The code the constructor takes: a code written in the source must be a {@link ToteErrorCode}
 * (anything else does not compile); a value typed only as `string`, the code of an error rebuilt
 * from data that crossed a thread, is taken as it is: it was checked where that error was made.
 */
export type CheckedToteErrorCode<Code extends string> = Code extends ToteErrorCode
  ? Code
  : string extends Code
    ? Code
    : ToteErrorCode

export interface ToteErrorConstructor {
  new <Code extends string>(
    code: CheckedToteErrorCode<Code>,
    message: string,
    options?: ToteErrorOptions,
  ): ToteError
  readonly prototype: ToteError
}

// A class behind a constructor signature of its own: a class's constructor cannot take the type
// parameter that checks a written-out code against the list.
export const ToteError: ToteErrorConstructor = class ToteError extends Error {
  override readonly name = 'ToteError'
  readonly code: ToteErrorCode
  readonly hint: string | undefined
  readonly details: Record<string, unknown>

  constructor(code: string, message: string, options: ToteErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code as ToteErrorCode
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

/**
 * An error as a plain object, the one shape that crosses threads (structured clone keeps plain
 * objects, not classes): a ToteError keeps its code, hint and details; an error of the system keeps
 * its errno `code`, `path` and `syscall`, which the CLI turns into a message and a hint.
 */
export interface PlainError {
  /** True when it was a ToteError. */
  tote: boolean
  name: string
  message: string
  code?: string
  hint?: string
  details?: Record<string, unknown>
  /** The file and the call of a system error (`ENOSPC` on `open`), when it has them. */
  path?: string
  syscall?: string
  stack?: string
}

/** `error` as a {@link PlainError}; anything thrown that is not an Error becomes one. */
export function toPlainError(error: unknown): PlainError {
  if (!(error instanceof Error)) return { tote: false, name: 'Error', message: String(error) }
  const tote = isToteError(error)
  const { code, path, syscall } = error as NodeJS.ErrnoException
  return {
    tote,
    name: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(tote && error.hint !== undefined ? { hint: error.hint } : {}),
    ...(tote ? { details: error.details } : {}),
    ...(typeof path === 'string' ? { path } : {}),
    ...(typeof syscall === 'string' ? { syscall } : {}),
    ...(error.stack !== undefined ? { stack: error.stack } : {}),
  }
}

/** The error a {@link PlainError} was made from: a ToteError again, or an Error with its errno fields. */
export function fromPlainError(plain: PlainError): Error {
  const error =
    plain.tote && plain.code !== undefined
      ? new ToteError(plain.code, plain.message, {
          ...(plain.hint !== undefined ? { hint: plain.hint } : {}),
          ...(plain.details !== undefined ? { details: plain.details } : {}),
        })
      : Object.assign(new Error(plain.message), {
          ...(plain.code !== undefined ? { code: plain.code } : {}),
          ...(plain.path !== undefined ? { path: plain.path } : {}),
          ...(plain.syscall !== undefined ? { syscall: plain.syscall } : {}),
        })
  if (plain.stack !== undefined) error.stack = plain.stack
  return error
}
