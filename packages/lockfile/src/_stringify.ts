import type { Lockfile } from '@tote/types'
import { DEFAULT_FORMAT, indentString, lockfileFormat } from './_format.js'
import { orderLikeNpm } from './_order.js'
import type { StringifyLockfileOptions } from './types.js'

/**
 * The text npm would write for this lockfile: every object's keys in npm's order (scalars and
 * arrays before objects; `name`, `version`, `lockfileVersion`, `resolved`, `integrity`, `requires`,
 * `packages`, `dependencies` first in that order; the rest by `en` collation), the indent and line
 * ending of the text it was parsed from unless `options` say otherwise, and a final newline.
 * The output depends only on the data, never on the order keys were inserted in.
 */
export function stringifyLockfile(lockfile: Lockfile, options: StringifyLockfileOptions = {}): string {
  const parsed = lockfileFormat(lockfile)
  const indent = indentString(options.indent ?? parsed?.indent)
  const newline = options.newline ?? parsed?.newline ?? DEFAULT_FORMAT.newline
  const text = `${JSON.stringify(orderLikeNpm(lockfile, options.locale), null, indent)}\n`
  // JSON strings escape their line breaks, so every "\n" here is a line end.
  return newline === '\n' ? text : text.replaceAll('\n', newline)
}
