// Typed reads of npm config values. npm keeps a value that does not fit its type (it only warns);
// tote cannot use such a value, so it stops with ECONFIG and names where the value was set.
import { ToteError } from '@tote/types'
import type { NpmConfig } from './_npm.js'

export function badValue(npm: NpmConfig, key: string, expected: string, value: unknown): ToteError {
  return invalidValue(key, expected, value, npm.originOf(key))
}

/** ECONFIG for `key` set to `value` in `origin` (a file path, an environment variable or a flag). */
export function invalidValue(key: string, expected: string, value: unknown, origin: string): ToteError {
  return new ToteError(
    'ECONFIG',
    `Invalid config "${key}" = ${JSON.stringify(value)}: expected ${expected}`,
    {
      hint: `Fix "${key}" in ${origin}.`,
      details: { key, value, origin },
    },
  )
}

export function readBoolean(npm: NpmConfig, key: string): boolean {
  const value = npm.get(key)
  if (typeof value !== 'boolean') throw badValue(npm, key, 'true or false', value)
  return value
}

export function readCount(npm: NpmConfig, key: string): number {
  const value = npm.get(key)
  // Infinity is allowed: npm reads `maxsockets=Infinity` as a number too
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw badValue(npm, key, 'a number ≥ 0', value)
  }
  return value
}

/** An http(s) URL, normalised to end with `/` (registries are joined with paths). */
export function readRegistryUrl(npm: NpmConfig, key: string): string {
  const value = npm.get(key)
  const unset = typeof value === 'string' ? /\$\{([^${}?]+)\}/.exec(value)?.[1] : undefined
  if (unset !== undefined) {
    // npm leaves ${VAR} in place when VAR is unset, and a URL parser accepts it as a host name
    throw badValue(npm, key, `a URL, but environment variable ${unset} is not set`, value)
  }
  const url = typeof value === 'string' ? parseUrl(value.trim()) : undefined
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw badValue(npm, key, 'an http:// or https:// URL', value)
  }
  const href = url.href
  return href.endsWith('/') ? href : `${href}/`
}

export function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text)
  } catch {
    return undefined
  }
}
