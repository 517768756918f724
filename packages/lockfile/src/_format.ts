import type { Lockfile } from '@tote/types'
import type { LockfileFormat, ParsedLockfileFormat } from './types.js'

/** npm's default layout: two spaces, `\n`, and a final newline. */
export const DEFAULT_FORMAT: LockfileFormat = { indent: '  ', newline: '\n' }

// The layout of the text each parsed lockfile came from. A WeakMap rather than a field or a symbol
// on the record: the record stays plain data (deep equality, spreading, JSON) and the format
// disappears with it.
const remembered = new WeakMap<Lockfile, ParsedLockfileFormat>()

export function rememberFormat(lockfile: Lockfile, format: ParsedLockfileFormat): void {
  remembered.set(lockfile, format)
}

/**
 * The layout and version of the text that {@link parseLockfile} made this record from, or
 * undefined for a record built in memory (or copied: a copy has none).
 */
export function lockfileFormat(lockfile: Lockfile): ParsedLockfileFormat | undefined {
  return remembered.get(lockfile)
}

// The first line break after the opening brace, and the whitespace that starts the next line.
const LAYOUT = /^\s*[{[]((?:\r?\n)+)([ \t]*)/

/**
 * The indent and line ending of a JSON text, detected as npm does: from the first line after the
 * opening brace. Text on one line (or `{}`) gets npm's default of two spaces and `\n`; lines
 * without indent get two spaces too (npm reads them as "no indent", then writes its default).
 *
 * npm lays out the package-lock.json it writes like the project's package.json (not like the old
 * lockfile): pass this function's answer for package.json to {@link stringifyLockfile} to match.
 */
export function detectJsonFormat(text: string): LockfileFormat {
  const match = LAYOUT.exec(text.replace(/^\uFEFF/, ''))
  const breaks = match?.[1]
  const indent = match?.[2]
  if (breaks === undefined) return { ...DEFAULT_FORMAT }
  return {
    indent: indent === undefined || indent === '' ? DEFAULT_FORMAT.indent : indent,
    newline: breaks.startsWith('\r\n') ? '\r\n' : '\n',
  }
}

/** The indent string JSON.stringify gets: npm treats `0` and `''` as its default of 2. */
export function indentString(indent: string | number | undefined): string {
  if (typeof indent === 'number') return indent > 0 ? ' '.repeat(Math.min(10, Math.floor(indent))) : '  '
  return indent === undefined || indent === '' ? DEFAULT_FORMAT.indent : indent
}
