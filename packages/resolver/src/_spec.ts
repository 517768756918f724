import { parseGitSpec } from './_git.js'
import { isSimpleRange, parseRange, parseVersion } from './_semver.js'
import type { GitSpec } from './types.js'

/** What a dependency spec asks for, as far as the resolver understands it (npm-package-arg's types). */
export type ParsedSpec =
  | { type: 'range'; name: string; range: string; alias: boolean }
  | { type: 'version'; name: string; version: string; alias: boolean }
  | { type: 'tag'; name: string; tag: string; alias: boolean }
  /**
   * A folder, linked (`file:../a`, `link:../a`, `./a`): `path` as written, relative to the folder of
   * the package that declares it (npm's `directory`). `link`: written `link:` (always a symlink, even
   * with npm's install-links); `dotted`: written `file:./…` or `file:../…` (with install-links, npm
   * still links such a folder when it is inside the project).
   */
  | { type: 'directory'; name: string; path: string; alias: false; link?: true; dotted?: true }
  /** A tarball on disk (`file:a.tgz`, `./a-1.0.0.tgz`): `path` as written, like `directory`'s (npm's `file`). */
  | { type: 'file'; name: string; path: string; alias: false }
  /** A tarball URL (npm's `remote`). */
  | { type: 'remote'; name: string; url: string; alias: false }
  /** The project's workspace of that name (`workspace:*`, `workspace:^1.2.0`: the range it must meet). */
  | { type: 'workspace'; name: string; range: string; alias: false }
  /** A git repository (`git+https://…#ref`, `github:u/r`, `u/r#semver:^1`): npm's `git`. */
  | { type: 'git'; name: string; git: GitSpec; alias: false }
  | { type: 'unsupported'; name: string; kind: string; alias: boolean }

/** Specs the registry serves (ranges, versions, tags, and aliases of them). */
export function isRegistrySpec(
  spec: ParsedSpec,
): spec is Extract<ParsedSpec, { type: 'range' | 'version' | 'tag' }> {
  return spec.type === 'range' || spec.type === 'version' || spec.type === 'tag'
}

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
    if (sub.alias || realName === '' || !(isRegistrySpec(sub) || sub.type === 'unsupported')) {
      return { type: 'unsupported', name, kind: 'alias', alias: true }
    }
    return { ...sub, alias: true }
  }
  const kind = unsupportedKind(raw)
  if (kind) return localSpec(name, raw, kind) ?? { type: 'unsupported', name, kind, alias: false }
  if (raw === '' || raw === '*') return { type: 'range', name, range: '*', alias: false }
  // Parsed through the resolver's caches: picking and placing parse the same texts again.
  const version = parseVersion(raw)?.version
  if (version) return { type: 'version', name, version, alias: false }
  if (isSimpleRange(raw) || parseRange(raw) !== null) return { type: 'range', name, range: raw, alias: false }
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

/** The kinds tote resolves without the registry, parsed as npm-package-arg does; undefined for the others. */
function localSpec(name: string, raw: string, kind: string): ParsedSpec | undefined {
  if (kind === 'workspace') {
    const rest = raw.slice('workspace:'.length).trim()
    const range = rest === '' || rest === '*' || rest === '^' || rest === '~' ? '*' : rest
    if (range !== '*' && parseRange(range) === null) return undefined
    return { type: 'workspace', name, range, alias: false }
  }
  if (kind === 'tarball') return { type: 'remote', name, url: raw, alias: false }
  if (kind === 'git') {
    const git = parseGitSpec(raw)
    return git ? { type: 'git', name, git, alias: false } : undefined
  }
  if (kind === 'link') {
    const path = raw.slice('link:'.length)
    return path === '' ? undefined : { type: 'directory', name, path, alias: false, link: true }
  }
  if (kind === 'file') {
    // `file:` takes `file://`, `file:/`, `file:./` and a bare relative path, as npm does
    const path = raw.startsWith('file:') ? raw.slice('file:'.length).replace(/^\/\/(?=\/)/, '') : raw
    if (path === '') return undefined
    if (tarballSuffix.test(path)) return { type: 'file', name, path, alias: false }
    return /^file:\.\.?\//.test(raw)
      ? { type: 'directory', name, path, alias: false, dotted: true }
      : { type: 'directory', name, path, alias: false }
  }
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
