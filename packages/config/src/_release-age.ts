import type { NpmConfig } from './_npm.js'
import { badValue } from './_read.js'
import type { ConfigLayer } from './types.js'

/** Layers from the lowest precedence up. */
const LAYERS: readonly ConfigLayer[] = ['default', 'builtin', 'global', 'user', 'project', 'env', 'cli']
const DAY_MS = 86_400_000

/**
 * npm's `before` as its flattening makes it: the `before` date, or `min-release-age` days before
 * `now`, whichever is set in the higher layer (`before` when both are in the same one); undefined
 * when neither is set (or `min-release-age` is 0).
 */
export function resolveBefore(npm: NpmConfig, now: number): Date | undefined {
  const before = npm.get('before')
  const age = npm.get('min-release-age')
  const rank = (key: string) => LAYERS.indexOf(npm.layerOf(key) ?? 'default')
  const hasBefore = before !== null && before !== undefined && before !== ''
  const hasAge = age !== null && age !== undefined && age !== ''
  if (hasAge && (!hasBefore || rank('min-release-age') > rank('before'))) {
    if (typeof age !== 'number' || Number.isNaN(age) || age < 0) {
      throw badValue(npm, 'min-release-age', 'a number of days ≥ 0', age)
    }
    return age === 0 ? undefined : new Date(now - DAY_MS * age)
  }
  if (!hasBefore) return undefined
  const date = before instanceof Date ? before : new Date(String(before))
  if (Number.isNaN(date.getTime()))
    throw badValue(npm, 'before', 'a date (2026-01-31, or an ISO time)', before)
  return date
}

/** npm's `min-release-age-exclude`: names and globs, a value may hold several separated by commas. */
export function resolveReleaseAgeExclude(npm: NpmConfig): string[] {
  const value = npm.get('min-release-age-exclude')
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]
  const names = list
    .flatMap((item) => String(item).split(','))
    .map((item) => item.trim())
    .filter(Boolean)
  return [...new Set(names)]
}
