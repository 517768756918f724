import { parseRange, parseVersion } from './_semver.js'

/** What a dependency spec asks for, as far as the resolver understands it (npm-package-arg's types). */
export type ParsedSpec =
  | { type: 'range'; name: string; range: string; alias: boolean }
  | { type: 'version'; name: string; version: string; alias: boolean }
  | { type: 'tag'; name: string; tag: string; alias: boolean }
  | { type: 'unsupported'; name: string; kind: string; alias: boolean }

const gitPrefix = /^(git\+[a-z]+:|git:|github:|gitlab:|bitbucket:|gist:)/i
const tarballSuffix = /\.(tgz|tar\.gz|tar)$/i

const cache = new Map<string, ParsedSpec>()

/** Classifies `spec` (a value of a dependency map) for dependency `name`. Never throws. Cached. */
export function parseSpec(name: string, spec: string): ParsedSpec {
  const key = `${name}\0${spec}`
  let parsed = cache.get(key)
  if (!parsed) {
    if (cache.size > 100_000) cache.clear()
    parsed = Object.freeze(classify(name, spec))
    cache.set(key, parsed)
  }
  return parsed
}

function classify(name: string, spec: string): ParsedSpec {
  const raw = spec.trim()
  if (raw.startsWith('npm:')) {
    const rest = raw.slice(4)
    const at = rest.indexOf('@', rest.startsWith('@') ? 1 : 0)
    const realName = at === -1 ? rest : rest.slice(0, at)
    const sub = classify(realName, at === -1 ? '' : rest.slice(at + 1))
    if (sub.alias || realName === '') return { type: 'unsupported', name, kind: 'alias', alias: true }
    return { ...sub, alias: true }
  }
  const kind = unsupportedKind(raw)
  if (kind) return { type: 'unsupported', name, kind, alias: false }
  if (raw === '' || raw === '*') return { type: 'range', name, range: '*', alias: false }
  // Parsed through the resolver's caches: picking and placing parse the same texts again.
  const version = parseVersion(raw)?.version
  if (version) return { type: 'version', name, version, alias: false }
  if (parseRange(raw) !== null) return { type: 'range', name, range: raw, alias: false }
  if (encodeURIComponent(raw) === raw) return { type: 'tag', name, tag: raw, alias: false }
  return { type: 'unsupported', name, kind: 'invalid', alias: false }
}

function unsupportedKind(raw: string): string | undefined {
  // Ranges, versions and tags (nearly every spec) contain no '/' or ':', and without one only the two
  // suffix patterns can match. Each pattern compiles on first use, which shows in a short resolve.
  if (!raw.includes('/') && !raw.includes(':')) {
    return /\.git(#.*)?$/.test(raw) ? 'git' : tarballSuffix.test(raw) ? 'file' : undefined
  }
  if (raw.startsWith('workspace:')) return 'workspace'
  if (raw.startsWith('link:')) return 'link'
  if (raw.startsWith('file:')) return 'file'
  if (/^(\.{1,2}|~)?\//.test(raw) || /^[a-zA-Z]:[\\/]/.test(raw)) return 'file'
  if (gitPrefix.test(raw) || /\.git(#.*)?$/.test(raw)) return 'git'
  if (/^https?:\/\//i.test(raw)) return 'tarball'
  if (tarballSuffix.test(raw)) return 'file'
  // `user/repo` and `user/repo#ref` are GitHub shortcuts; ranges and tags never contain a slash.
  if (/^[^@\s/:]+\/[^\s]+$/.test(raw)) return 'git'
  return undefined
}

/** The spec's text without the alias prefix: `^1` for `npm:real@^1`. */
export function specText(parsed: ParsedSpec): string {
  switch (parsed.type) {
    case 'range':
      return parsed.range
    case 'version':
      return parsed.version
    case 'tag':
      return parsed.tag
    default:
      return ''
  }
}
