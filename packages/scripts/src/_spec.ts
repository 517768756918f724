import semver from 'semver'

// Policy keys are package specs as npm-package-arg reads them. Git keys are taken apart where they
// are matched (_git-key.ts); alias keys are recognised and match nothing, as in npm.

/** A policy key, parsed as npm-package-arg would. */
export interface ParsedKey {
  type: 'version' | 'range' | 'tag' | 'remote' | 'git' | 'file' | 'directory' | 'alias'
  /** The package name, for registry keys. */
  name?: string
  /** The spec after the name, as written (`*` when there is none). */
  rawSpec: string
  /** The spec as npm-package-arg fetches it: trimmed for registry keys, the URL for remote ones. */
  fetchSpec: string
}

const isURL = /^(?:git[+])?[a-z]+:/i
const isGit = /^[^@]+@[^:.]+\.[^:]+:.+$/i
const isFileType = /[.](?:tgz|tar\.gz|tar)$/i
const isPosixFile = /^(?:[.]|~[/]|[/]|[a-zA-Z]:)/
const hostedShortcut = /^(?:github|gitlab|bitbucket|gist):/i
const gitProtocols = new Set([
  'git:',
  'git+http:',
  'git+https:',
  'git+rsync:',
  'git+ftp:',
  'git+file:',
  'git+ssh:',
])

/** `key` parsed as npm-package-arg parses it; undefined where npa would throw (an invalid name…). */
export function parseKey(key: string): ParsedKey | undefined {
  const nameEndsAt = key.indexOf('@', 1)
  const namePart = nameEndsAt > 0 ? key.slice(0, nameEndsAt) : key
  let name: string | undefined
  let spec: string
  if (isURL.test(key)) spec = key
  else if (isGit.test(key)) return { type: 'git', rawSpec: key, fetchSpec: key }
  else if (!namePart.startsWith('@') && (namePart.includes('/') || isFileType.test(namePart))) spec = key
  else if (nameEndsAt > 0) {
    name = namePart
    spec = key.slice(nameEndsAt + 1) || '*'
  } else if (isValidOldName(key)) {
    name = key
    spec = '*'
  } else spec = key
  if (name !== undefined && !isValidOldName(name)) return undefined
  const named = name === undefined ? {} : { name }
  if (spec.toLowerCase().startsWith('file:') || isPosixFile.test(spec)) {
    return { type: 'file', ...named, rawSpec: spec, fetchSpec: spec }
  }
  if (spec.toLowerCase().startsWith('npm:'))
    return { type: 'alias', ...named, rawSpec: spec, fetchSpec: spec }
  if (hostedShortcut.test(spec) || /^[^/@:]+\/[^/]+$/.test(spec.replace(/#.*$/, ''))) {
    return { type: 'git', ...named, rawSpec: spec, fetchSpec: spec }
  }
  if (isURL.test(spec)) {
    let url: URL
    try {
      url = new URL(spec)
    } catch {
      return undefined
    }
    if (gitProtocols.has(url.protocol)) return { type: 'git', ...named, rawSpec: spec, fetchSpec: spec }
    if (url.protocol === 'http:' || url.protocol === 'https:') {
      return { type: 'remote', ...named, rawSpec: spec, fetchSpec: spec }
    }
    return undefined
  }
  if (spec.includes('/') || isFileType.test(spec))
    return { type: 'file', ...named, rawSpec: spec, fetchSpec: spec }
  if (name === undefined) return undefined
  const fetchSpec = spec.trim()
  if (semver.valid(fetchSpec, true)) return { type: 'version', name, rawSpec: spec, fetchSpec }
  if (semver.validRange(fetchSpec, true) !== null) return { type: 'range', name, rawSpec: spec, fetchSpec }
  if (encodeURIComponent(fetchSpec) !== fetchSpec) return undefined
  return { type: 'tag', name, rawSpec: spec, fetchSpec }
}

/** True for a key that names every version of a package (`pkg`, `pkg@*`, and tags, as npm counts them). */
export function isNameOnly(parsed: ParsedKey): boolean {
  if (parsed.type === 'tag') return true
  return (
    parsed.type === 'range' && (parsed.fetchSpec === '*' || parsed.rawSpec === '' || parsed.rawSpec === '*')
  )
}

/** One or more exact versions joined by `||`: the only ranges npm's policy accepts. */
export function isExactVersionDisjunction(range: string): boolean {
  if (range.trim() === '') return false
  return range
    .split('||')
    .map((part) => part.trim())
    .every((part) => part !== '' && semver.valid(part) !== null)
}

const blockedNames = new Set(['node_modules', 'favicon.ico'])

/** validate-npm-package-name's `validForOldPackages`: the names npm-package-arg accepts. */
function isValidOldName(name: string): boolean {
  if (name.length === 0 || name.startsWith('.') || name.startsWith('_')) return false
  if (name.trim() !== name || blockedNames.has(name.toLowerCase())) return false
  if (encodeURIComponent(name) === name) return true
  const scoped = /^@([^/]+)\/([^/]+)$/.exec(name)
  if (!scoped) return false
  const [, scope, pkg] = scoped
  return encodeURIComponent(scope!) === scope && encodeURIComponent(pkg!) === pkg && !pkg!.startsWith('.')
}

/** Is `spec` (a dependency's spec in a package.json) one npm fetches from a registry? */
export function isRegistrySpec(name: string, spec: string): boolean {
  const parsed = parseKey(`${name}@${spec}`)
  if (parsed === undefined) return false
  if (parsed.type === 'alias') {
    const inner = parseKey(spec.slice(4))
    return inner !== undefined && (inner.type === 'version' || inner.type === 'range' || inner.type === 'tag')
  }
  return parsed.type === 'version' || parsed.type === 'range' || parsed.type === 'tag'
}

/** The real name behind an `npm:` alias spec, or undefined. */
export function aliasTarget(spec: string): string | undefined {
  if (!spec.toLowerCase().startsWith('npm:')) return undefined
  return parseKey(spec.slice(4))?.name
}
