/**
 * Set on a `versions` object that is read lazily (a Proxy): its keys, in order, without the
 * property descriptor per key that `Object.keys` asks a Proxy for (typescript has 3,400 versions).
 */
export const VERSION_KEYS: unique symbol = Symbol.for('tote.versionKeys')

/** The keys of a packument's `versions`, as `Object.keys` gives them, quickly for lazy ones. */
export function versionKeysOf(versions: object): string[] {
  const keys = (versions as { [VERSION_KEYS]?: () => string[] })[VERSION_KEYS]
  return typeof keys === 'function' ? keys() : Object.keys(versions)
}
