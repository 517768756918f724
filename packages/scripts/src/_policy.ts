import { basename } from 'node:path'
import { ToteError } from '@tote/types'
import semver from 'semver'
import { gitKeyMatches } from './_git-key.js'
import { isExactVersionDisjunction, isNameOnly, type ParsedKey, parseKey } from './_spec.js'
import type {
  PolicyInput,
  PolicyPackage,
  PolicyWarning,
  ScriptPolicy,
  ScriptVerdict,
  TrustedIdentity,
} from './types.js'

// npm 11's allowScripts policy (RFC npm/rfcs#868), as @npmcli/arborist's script-allowed.js and
// npm's resolve-allow-scripts.js decide it, on tote's records: a package is matched by the name
// and version in its registry tarball URL, never by its own package.json.

/** npm's version-from-tgz: the name and version a registry tarball URL carries, or null. */
export function identityFromTarballUrl(url: string): { name: string; version: string } | null {
  const base = basename(url)
  if (!base.endsWith('.tgz')) return null
  if (url.startsWith('http:/') || url.startsWith('https:/')) {
    let pathname: string
    try {
      pathname = new URL(url).pathname
    } catch {
      return null
    }
    const parts = pathname.slice(1).split('/-/')
    if (parts.length > 1 && parts.pop() === base) {
      const before = parts.pop()!.split(/\/|%2f/i)
      const project = before.pop()!
      const scope = before.pop()
      return fromBase(base, scope, project)
    }
  }
  return null
}

function fromBase(
  base: string,
  scope: string | undefined,
  name: string,
): { name: string; version: string } | null {
  if (!base.startsWith(`${name}-`)) return null
  const parsed = semver.parse(base.slice(name.length + 1, -4))
  if (!parsed) return null
  return { name: scope?.startsWith('@') ? `${scope}/${name}` : name, version: parsed.version }
}

/**
 * The identity npm trusts for a registry package: from its lockfile `resolved` URL; without one,
 * the name its dependents ask for (an alias's real name), with no version.
 */
export function trustedIdentity(pkg: PolicyPackage): TrustedIdentity | null {
  if (pkg.resolved) {
    const fromUrl = identityFromTarballUrl(pkg.resolved)
    if (fromUrl) return fromUrl
  }
  return pkg.edgeName ? { name: pkg.edgeName, version: null } : null
}

/** Is the package from a registry (npm's isRegistryNode)? */
function isRegistryPackage(pkg: PolicyPackage): boolean {
  return pkg.registry
}

/**
 * Does the policy key match the package? `failClosed`: for a deny, a version that cannot be known
 * still matches (a deny blocks, an allow is refused).
 */
export function keyMatches(pkg: PolicyPackage, key: string, failClosed = false): boolean {
  const parsed = parseKey(key)
  if (parsed === undefined) return false
  switch (parsed.type) {
    case 'tag':
    case 'range':
    case 'version':
      return matchRegistry(pkg, parsed, failClosed)
    case 'git':
      return gitKeyMatches(pkg.resolved, key)
    case 'remote':
    case 'file':
    case 'directory':
      return pkg.resolved !== undefined && pkg.resolved === parsed.fetchSpec
    default:
      return false
  }
}

function matchRegistry(pkg: PolicyPackage, parsed: ParsedKey, failClosed: boolean): boolean {
  if (!isRegistryPackage(pkg)) return false
  const trusted = trustedIdentity(pkg)
  if (!trusted || trusted.name !== parsed.name) return false
  if (parsed.type === 'tag') return false
  if (parsed.type === 'range') {
    if (parsed.fetchSpec === '*' || parsed.rawSpec === '' || parsed.rawSpec === '*') return true
    if (!isExactVersionDisjunction(parsed.fetchSpec)) return false
    if (!trusted.version) return failClosed
    return semver.satisfies(trusted.version, parsed.fetchSpec, { loose: true })
  }
  if (!trusted.version) return failClosed
  return trusted.version === parsed.fetchSpec
}

/**
 * npm's isScriptAllowed: true when an allow entry matches and no deny does, false when a deny
 * matches (deny wins), null when nothing does (unreviewed). Bundled packages are always null.
 */
export function isScriptAllowed(pkg: PolicyPackage, entries: Record<string, unknown> | null): boolean | null {
  if (pkg.inBundle) return null
  if (!entries) return null
  let allow = false
  let deny = false
  for (const [key, value] of Object.entries(entries)) {
    if (!keyMatches(pkg, key, value === false)) continue
    if (value === false) deny = true
    else if (value === true) allow = true
  }
  if (deny) return false
  return allow ? true : null
}

/** npm's parse-allow-scripts-list: comma-separated names from a string or an array of them. */
export function parseAllowScriptsList(raw: unknown): string[] {
  const entries = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : []
  const names: string[] = []
  for (const entry of entries) {
    if (typeof entry !== 'string') continue
    for (const part of entry.split(',')) {
      const trimmed = part.trim()
      if (trimmed) names.push(trimmed)
    }
  }
  return names
}

/** Drops the entries npm ignores (unparseable keys, dist-tags, ranges other than exact versions). */
function validate(
  policy: Record<string, unknown> | null,
  label: string,
  warnings: PolicyWarning[],
): Record<string, unknown> | null {
  if (!policy) return null
  const cleaned: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(policy)) {
    const parsed = parseKey(key)
    if (parsed === undefined) {
      warnings.push({ code: 'EALLOWSCRIPTSENTRY', message: `${label}: ignoring unparseable entry "${key}"` })
      continue
    }
    if (parsed.type === 'tag') {
      warnings.push({
        code: 'EALLOWSCRIPTSENTRY',
        message: `${label}: ignoring "${key}" — dist-tag specs (@latest, @next, ...) are not allowed; use exact versions joined by "||", or the bare package name, instead`,
      })
      continue
    }
    if (parsed.type === 'range' && !isNameOnly(parsed) && !isExactVersionDisjunction(parsed.fetchSpec)) {
      warnings.push({
        code: 'EALLOWSCRIPTSENTRY',
        message: `${label}: ignoring "${key}" — semver ranges (^, ~, >=, <) are not allowed; use exact versions joined by "||" instead`,
      })
      continue
    }
    cleaned[key] = value
  }
  return Object.keys(cleaned).length > 0 ? cleaned : null
}

const FILE_LAYERS = new Set(['project', 'user', 'global', 'builtin'])

/**
 * The policy in force, by npm's precedence: `allow-scripts` from a flag or the environment (an
 * error in a project, as in npm: `EALLOWSCRIPTS`), then the project's package.json (`allowScripts`,
 * with bun's `trustedDependencies` names as `name: true` entries where allowScripts has no entry of
 * that key), then `allow-scripts` from an npmrc. The first layer with entries wins whole.
 */
export function resolvePolicy(input: PolicyInput): ScriptPolicy {
  const warnings: PolicyWarning[] = []
  const layer = input.allowScripts?.layer ?? null
  const names = parseAllowScriptsList(input.allowScripts?.value)
  const fromNames = (list: string[]) =>
    list.length > 0 ? Object.fromEntries(list.map((name) => [name, true])) : null
  const cliPolicy = layer === 'cli' || layer === 'env' ? fromNames(names) : null
  const rcPolicy = layer !== null && FILE_LAYERS.has(layer) ? fromNames(names) : null
  const projectScoped = input.projectScoped !== false
  if (cliPolicy && projectScoped) {
    throw new ToteError(
      'EALLOWSCRIPTS',
      '--allow-scripts is not allowed in project-scoped installs. Add the entries to the "allowScripts" field in package.json, or to .npmrc, instead.',
      {
        hint: 'Run `tote install-scripts approve <pkg>` to write the entry, or put allow-scripts=<names> in .npmrc.',
        details: { layer },
      },
    )
  }
  let pkgPolicy: Record<string, unknown> | null = null
  let fromTrustedDependencies = false
  if (projectScoped) {
    const { allowScripts, trustedDependencies } = input.manifest
    const own =
      allowScripts && typeof allowScripts === 'object' && !Array.isArray(allowScripts)
        ? { ...(allowScripts as Record<string, unknown>) }
        : {}
    if (Array.isArray(trustedDependencies)) {
      for (const name of trustedDependencies) {
        if (typeof name === 'string' && name !== '' && !(name in own)) {
          own[name] = true
          fromTrustedDependencies = true
        }
      }
    }
    if (Object.keys(own).length > 0) pkgPolicy = own
  }
  const cli = validate(cliPolicy, 'CLI flag', warnings)
  const pkg = validate(pkgPolicy, 'package.json', warnings)
  const rc = validate(rcPolicy, '.npmrc', warnings)
  const base = {
    ignoreScripts: input.ignoreScripts === true,
    dangerouslyAllowAllScripts: input.dangerouslyAllowAllScripts === true,
    unreviewed: input.strictAllowScripts ? 'fail' : (input.unreviewed ?? 'skip'),
  } as const
  if (cli) {
    if (rc) {
      warnings.push({
        code: 'EALLOWSCRIPTSIGNORED',
        message:
          '.npmrc allow-scripts setting is being ignored because --allow-scripts was passed on the command line',
      })
    }
    return {
      ...base,
      entries: cli as Record<string, boolean>,
      source: 'cli',
      fromTrustedDependencies: false,
      warnings,
    }
  }
  if (pkg) {
    if (rc) {
      warnings.push({
        code: 'EALLOWSCRIPTSIGNORED',
        message:
          '.npmrc allow-scripts setting is being ignored because package.json declares its own allowScripts field',
      })
    }
    return {
      ...base,
      entries: pkg as Record<string, boolean>,
      source: 'package.json',
      fromTrustedDependencies,
      warnings,
    }
  }
  if (rc)
    return {
      ...base,
      entries: rc as Record<string, boolean>,
      source: '.npmrc',
      fromTrustedDependencies: false,
      warnings,
    }
  return { ...base, entries: null, source: null, fromTrustedDependencies: false, warnings }
}

/** What happens to a package's install scripts under the policy. */
export function verdictFor(pkg: PolicyPackage, policy: ScriptPolicy): ScriptVerdict {
  if (policy.ignoreScripts) return 'ignored'
  if (policy.dangerouslyAllowAllScripts) return 'run'
  const allowed = isScriptAllowed(pkg, policy.entries)
  if (allowed === true) return 'run'
  if (allowed === false) return 'denied'
  return 'unreviewed'
}
