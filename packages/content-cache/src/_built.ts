import { createHash } from 'node:crypto'
import type { BuiltResultKey } from './types.js'

/**
 * The key of a package's built result (the build cache): a `sha512-…` integrity string derived from
 * the package's own integrity, the platform, the CPU architecture, the Node ABI and the text of the
 * scripts that built it. Any change of one of them gives another key, so another entry: a build is
 * never reused where it was not made.
 */
export function builtResultKey(key: BuiltResultKey): string {
  const text = JSON.stringify([
    'tote-built-v1',
    key.integrity,
    key.platform,
    key.arch,
    key.abi,
    key.scripts.map(({ event, script }) => [event, script]),
  ])
  return `sha512-${createHash('sha512').update(text).digest('base64')}`
}
