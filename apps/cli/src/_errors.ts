import { isToteError, ToteError } from '@tote/types'

export function usageError(code: string, message: string, hint: string): ToteError {
  return new ToteError(code, message, { hint, details: { usage: true } })
}

/** Prints an error for a person and returns the exit code: 2 for usage errors, else 1. */
export function reportError(error: unknown, verbose: boolean): number {
  if (isToteError(error)) {
    const lines = [`tote error ${error.code}: ${error.message}`]
    if (error.hint) lines.push(`  hint: ${error.hint}`)
    if (verbose && error.cause) lines.push(`  cause: ${formatCause(error.cause)}`)
    process.stderr.write(`${lines.join('\n')}\n`)
    return error.details.usage ? 2 : 1
  }
  process.stderr.write(`tote: unexpected error (a bug in tote; please report it)\n${formatCause(error)}\n`)
  return 1
}

function formatCause(cause: unknown): string {
  return cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)
}
