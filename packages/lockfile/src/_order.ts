// npm writes package-lock.json with one rule applied to every object at every depth (arborist's
// Shrinkwrap#toString through json-stringify-nice): keys whose value is not an object (strings,
// booleans, numbers, arrays) come first, then keys whose value is an object; within each group the
// preferred keys below come first in this order, then the rest by locale collation.

/** npm's preferred keys (arborist's `swKeyOrder`), in the order they are written. */
export const PREFERRED_KEYS: readonly string[] = [
  'name',
  'version',
  'lockfileVersion',
  'resolved',
  'integrity',
  'requires',
  'packages',
  'dependencies',
]

const collators = new Map<string, Intl.Collator>()

function collatorFor(locale: string): Intl.Collator {
  let collator = collators.get(locale)
  if (collator === undefined) {
    // Same comparison as `a.localeCompare(b, locale)`, without building a collator per call.
    collator = new Intl.Collator(locale)
    collators.set(locale, collator)
  }
  return collator
}

/** A JSON object: not null, not an array (npm's test for "sorts after the scalars"). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function preferredRank(key: string): number {
  const rank = PREFERRED_KEYS.indexOf(key)
  return rank === -1 ? PREFERRED_KEYS.length : rank
}

/** Compares two `[key, value]` entries in npm's lockfile order. */
export function compareEntries(
  compareKeys: (a: string, b: string) => number,
): (a: [string, unknown], b: [string, unknown]) => number {
  return ([aKey, aValue], [bKey, bValue]) => {
    const aIsObject = isJsonObject(aValue)
    if (aIsObject !== isJsonObject(bValue)) return aIsObject ? 1 : -1
    const rankDifference = preferredRank(aKey) - preferredRank(bKey)
    if (rankDifference !== 0) return rankDifference
    const collated = compareKeys(aKey, bKey)
    if (collated !== 0) return collated
    // Keys that collate equal (canonically equivalent Unicode) would keep insertion order in npm;
    // code units make the output independent of it.
    return aKey < bKey ? -1 : aKey > bKey ? 1 : 0
  }
}

/**
 * A deep copy of `value` whose objects list their keys in npm's order, ready for JSON.stringify.
 * Arrays keep their order (npm never sorts `os`, `cpu`, `files`…).
 */
export function orderLikeNpm(value: unknown, locale = 'en'): unknown {
  const compare = compareEntries(collatorFor(locale).compare)
  const ancestors = new Set<object>()
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit)
    if (!isJsonObject(node)) return node
    if (ancestors.has(node)) throw new Error('Cannot stringify a lockfile that contains a cycle')
    ancestors.add(node)
    const entries = Object.entries(node).sort(compare)
    // Like npm, the result is a plain object, so integer-like keys ("1", "42") still come first:
    // JavaScript lists them before other keys whatever the insertion order.
    const ordered: Record<string, unknown> = {}
    for (const [key, child] of entries) {
      if (key === '__proto__') {
        Object.defineProperty(ordered, key, { value: visit(child), enumerable: true, writable: true })
      } else ordered[key] = visit(child)
    }
    ancestors.delete(node)
    return ordered
  }
  return visit(value)
}
