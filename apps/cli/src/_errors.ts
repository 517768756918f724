import { isToteError, redactUrlsIn, type SystemFaultCode, ToteError, type ToteErrorCode } from '@tote/types'
import { colourOn, red } from './_colour.js'

export function usageError(code: ToteErrorCode, message: string, hint: string): ToteError {
  return new ToteError(code, message, { hint, details: { usage: true } })
}

/** What the system's error codes mean for someone installing, and what to do about each. */
const SYSTEM_FAULTS: Record<SystemFaultCode, { what: string; hint: string }> = {
  ENOSPC: {
    what: 'No space left on the disk',
    hint: 'Free some space (or move the cache with --cache-dir) and run the command again; what this run changed is checked again then.',
  },
  EDQUOT: {
    what: 'The disk quota is used up',
    hint: 'Free some space within your quota and run the command again.',
  },
  EACCES: {
    what: 'Permission denied',
    hint: 'Check the owner and permissions of that path, or run as the user who owns the project.',
  },
  EPERM: {
    what: 'Operation not permitted',
    hint: 'Check the owner and permissions of that path; a file may be locked by another program.',
  },
  EROFS: {
    what: 'The file system is read-only',
    hint: 'Run the command where the project (and the cache folder) can be written.',
  },
  EMFILE: {
    what: 'Too many open files',
    hint: 'Raise the limit of open files (ulimit -n) and run the command again.',
  },
  ENFILE: {
    what: 'The system has too many open files',
    hint: 'Close other programs or raise the system limit, and run the command again.',
  },
  EEXIST: {
    what: 'Something else created a file tote was creating',
    hint: 'Another program changed the folder during the run; run the command again.',
  },
  ENOTDIR: {
    what: 'A file stands where a folder should be',
    hint: 'Move that file away (or delete node_modules) and run the command again.',
  },
  EISDIR: {
    what: 'A folder stands where a file should be',
    hint: 'Move that folder away (or delete node_modules) and run the command again.',
  },
  ENOENT: {
    what: 'A file or folder disappeared during the run',
    hint: 'Another program may have removed it; run the command again.',
  },
  EIO: {
    what: 'The disk reported an input/output error',
    hint: 'Check the disk, then run the command again.',
  },
}

/**
 * A fault of the system (a full disk, a permission) as a ToteError with its code and a hint; other
 * errors are left as they are.
 */
export function systemFault(error: unknown): unknown {
  if (isToteError(error) || !(error instanceof Error)) return error
  const { code, path, syscall } = error as NodeJS.ErrnoException
  if (code === undefined || !Object.hasOwn(SYSTEM_FAULTS, code)) return error
  const faultCode = code as SystemFaultCode
  const fault = SYSTEM_FAULTS[faultCode]
  // An error that crossed from a worker thread has lost its path: its message still names it.
  const where = path ? ` (${syscall ? `${syscall} ` : ''}${path})` : ` (${error.message})`
  return new ToteError(faultCode, `${fault.what}${where}`, {
    hint: fault.hint,
    cause: error,
    details: { errno: code, ...(path ? { path } : {}), ...(syscall ? { syscall } : {}) },
  })
}

/** Prints an error for a person and returns the exit code: 2 for usage errors, else 1. */
export function reportError(thrown: unknown, verbose: boolean, colour = colourOn(process.stderr)): number {
  const error = systemFault(thrown)
  if (isToteError(error)) {
    const lines = [`tote ${red('error', colour)} ${error.code}: ${error.message}`]
    if (error.hint) lines.push(`  hint: ${error.hint}`)
    if (verbose && error.cause) lines.push(`  cause: ${formatCause(error.cause)}`)
    // Whatever a message quotes (a registry URL, a lockfile's resolved), no credentials are shown.
    process.stderr.write(`${redactUrlsIn(lines.join('\n'))}\n`)
    return error.details.usage ? 2 : 1
  }
  process.stderr.write(
    `tote: unexpected error (a bug in tote; please report it)\n${redactUrlsIn(formatCause(error))}\n`,
  )
  return 1
}

function formatCause(cause: unknown): string {
  return cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)
}
