import semver from 'semver'
import { gitKeyOf, gitKeyTargets } from './_git-key.js'
import { identityFromTarballUrl, keyMatches, trustedIdentity } from './_policy.js'
import { isNameOnly, parseKey } from './_spec.js'
import type {
  AllowScriptsEdit,
  AllowScriptsMap,
  PolicyPackage,
  PruneCandidate,
  PrunedEntry,
  TrustedIdentity,
} from './types.js'

// `npm install-scripts approve | deny | prune` as npm 11 edits package.json#allowScripts
// (lib/utils/allow-scripts-writer.js and allow-scripts-prune.js), on tote's records.

/** The `pkg@1.2.3` key of a package, from its registry URL only; null when it has none. */
export function versionedKeyFor(pkg: PolicyPackage): string | null {
  const resolved = pkg.resolved ?? ''
  if (resolved.startsWith('git')) {
    // a hosted repository by its shortcut and commit (`github:u/r#<sha>`); another has no key
    const git = gitKeyOf(resolved)
    if (!git?.shortcut) return null
    return git.committish ? `${git.shortcut}#${git.committish}` : git.shortcut
  }
  if (/^https?:\/\//.test(resolved)) {
    const trusted = trustedIdentity(pkg)
    return trusted?.version ? `${trusted.name}@${trusted.version}` : null
  }
  if (resolved.startsWith('file:') || resolved.startsWith('/')) return resolved
  return null
}

/** The name-only key of a package (its trusted name); null when it has no trusted identity. */
export function nameKeyFor(pkg: PolicyPackage): string | null {
  const resolved = pkg.resolved ?? ''
  if (resolved.startsWith('git')) return gitKeyOf(resolved)?.shortcut ?? null
  if (resolved.startsWith('file:') || resolved.startsWith('/')) return resolved
  return trustedIdentity(pkg)?.name ?? null
}

/** Name and version to show for a package: the trusted ones, else what its folder says. */
export function displayIdentity(
  pkg: PolicyPackage,
  fallback: { name?: string; version?: string },
): TrustedIdentity {
  const trusted = trustedIdentity(pkg)
  return {
    name: trusted?.name || fallback.name || '',
    version: trusted?.version || fallback.version || null,
  }
}

function isSingleVersionPin(key: string): boolean {
  return parseKey(key)?.type === 'version'
}

/** Does the key name this package at all, whatever its value and version? */
export function keyTargets(key: string, pkg: PolicyPackage): boolean {
  const parsed = parseKey(key)
  if (parsed === undefined) return false
  switch (parsed.type) {
    case 'tag':
    case 'range':
    case 'version': {
      const trusted = trustedIdentity(pkg)
      return trusted !== null && trusted.name === parsed.name
    }
    case 'git':
      return gitKeyTargets(pkg.resolved, key)
    case 'file':
    case 'directory':
    case 'remote':
      return pkg.resolved !== undefined && pkg.resolved === parsed.fetchSpec
    default:
      return false
  }
}

function denyWarning(key: string, subject: string, name: string | null): string {
  const parsed = parseKey(key)
  if (parsed && isNameOnly(parsed)) {
    return `${key} is denied; remove the entry from allowScripts to approve ${subject}.`
  }
  const target = name || 'this package'
  return (
    `${key} is a versioned deny; run \`npm install-scripts deny ${target}\` ` +
    `to widen the deny to all versions of ${target}, or remove the entry ` +
    `to approve ${subject}.`
  )
}

/**
 * Approves the installed versions of one package (`packages` all share its name): pinned
 * `name@version` entries (stale pins of it dropped, a name-only entry replaced once every version
 * is pinned), or with `pin: false` one name-only entry. Any `false` entry that targets one of them
 * wins: nothing changes, and `warning` says why.
 */
export function approvePackage(
  existing: AllowScriptsMap,
  packages: PolicyPackage[],
  options: { pin?: boolean } = {},
): AllowScriptsEdit {
  const allowScripts = { ...existing }
  const changes: AllowScriptsEdit['changes'] = []
  if (packages.length === 0) return { allowScripts, changes }
  const sample = packages[0]!
  const name = nameKeyFor(sample)
  for (const pkg of packages) {
    for (const [key, value] of Object.entries(allowScripts)) {
      if (value === false && keyTargets(key, pkg)) {
        return { allowScripts, changes, warning: denyWarning(key, name || 'this package', name) }
      }
    }
  }
  const dropPinsOf = (record: boolean) => {
    for (const key of Object.keys(allowScripts)) {
      if (keyTargets(key, sample) && key !== name && isSingleVersionPin(key) && allowScripts[key] === true) {
        delete allowScripts[key]
        if (record) changes.push({ key, change: 'removed-pinned-allow' })
      }
    }
  }
  if (options.pin === false) {
    dropPinsOf(false)
    if (name && allowScripts[name] !== true) {
      allowScripts[name] = true
      changes.push({ key: name, change: 'added' })
    }
    return { allowScripts, changes }
  }
  const versionedKeys = packages.map(versionedKeyFor)
  const installedKeys = new Set(versionedKeys.filter((key): key is string => key !== null))
  if (name && versionedKeys.some((key) => key === null)) {
    dropPinsOf(true)
    if (allowScripts[name] !== true) {
      allowScripts[name] = true
      changes.push({ key: name, change: 'added' })
    }
    return {
      allowScripts,
      changes,
      ...(changes.length > 0
        ? {
            warning:
              `${name}: approved by name (all versions) because its ` +
              `package-lock.json entry has no "resolved" URL, so npm can't pin a ` +
              `specific version. Run \`npm install\` to refresh the lockfile and ` +
              `enable pinning.`,
          }
        : {}),
    }
  }
  for (const key of Object.keys(allowScripts)) {
    if (
      keyTargets(key, sample) &&
      isSingleVersionPin(key) &&
      allowScripts[key] === true &&
      !installedKeys.has(key)
    ) {
      delete allowScripts[key]
      changes.push({ key, change: 'removed-stale' })
    }
  }
  for (const key of installedKeys) {
    if (allowScripts[key] !== true) {
      allowScripts[key] = true
      changes.push({ key, change: 'added' })
    }
  }
  if (installedKeys.size > 0 && name && !installedKeys.has(name) && allowScripts[name] === true) {
    delete allowScripts[name]
    changes.push({ key: name, change: 'replaced-by-pin' })
  }
  return { allowScripts, changes }
}

/** Denies one package by name (`"name": false`), dropping the other entries that target it. */
export function denyPackage(existing: AllowScriptsMap, packages: PolicyPackage[]): AllowScriptsEdit {
  const allowScripts = { ...existing }
  const changes: AllowScriptsEdit['changes'] = []
  if (packages.length === 0) return { allowScripts, changes }
  const sample = packages[0]!
  const name = nameKeyFor(sample)
  if (!name) return { allowScripts, changes }
  for (const key of Object.keys(allowScripts)) {
    if (keyTargets(key, sample) && key !== name) {
      delete allowScripts[key]
      changes.push({ key, change: 'removed-pinned-allow' })
    }
  }
  if (allowScripts[name] !== false) {
    allowScripts[name] = false
    changes.push({ key: name, change: 'added' })
  }
  return { allowScripts, changes }
}

/**
 * `install-scripts prune`: the entries that match no installed package (`not-installed`) or only
 * packages without install scripts (`no-scripts`) go, approvals and denials alike; keys that do not
 * parse stay.
 */
export function pruneEntries(
  existing: AllowScriptsMap,
  installed: PruneCandidate[],
): { remaining: AllowScriptsMap; removed: PrunedEntry[] } {
  const remaining: AllowScriptsMap = {}
  const removed: PrunedEntry[] = []
  for (const [key, value] of Object.entries(existing)) {
    if (parseKey(key) === undefined) {
      remaining[key] = value
      continue
    }
    const matching = installed.filter(({ pkg }) => keyMatches(pkg, key))
    if (matching.length === 0) removed.push({ key, value, reason: 'not-installed' })
    else if (!matching.some(({ hasScripts }) => hasScripts))
      removed.push({ key, value, reason: 'no-scripts' })
    else remaining[key] = value
  }
  return { remaining, removed }
}

/** A positional argument of approve/deny: a name, and a version range that narrows it. */
export function parsePositional(arg: string): { name: string; range: string | null } {
  const parsed = parseKey(arg)
  if (parsed === undefined) return { name: arg, range: null }
  const name = parsed.name || arg
  if (parsed.type === 'version' || parsed.type === 'range') {
    const spec = parsed.fetchSpec
    return {
      name,
      range: !spec || spec === '*' || parsed.rawSpec === '' || parsed.rawSpec === '*' ? null : spec,
    }
  }
  return { name, range: null }
}

/** Does an installed package named `arg` (`pkg`, `pkg@1.2.3`, `pkg@^1`) match, by its trusted name and version? */
export function matchesPositional(arg: string, display: TrustedIdentity): boolean {
  const { name, range } = parsePositional(arg)
  if (display.name !== name) return false
  return !range || (display.version !== null && semver.satisfies(display.version, range, { loose: true }))
}

export { identityFromTarballUrl }
