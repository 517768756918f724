// Git specs as npm-package-arg and hosted-git-info read them, and the `resolved` npm records for
// them (pacote's GitFetcher): a hosted repository (GitHub, GitLab, Bitbucket: shorthands, and
// their https/ssh URLs) is recorded by its ssh URL, any other by its URL, with `#<commit>`.

import { parseVersion, satisfies } from './_semver.js'
import type { GitSource, GitSpec } from './types.js'

const HOSTS: Record<string, { domain: string }> = {
  github: { domain: 'github.com' },
  gitlab: { domain: 'gitlab.com' },
  bitbucket: { domain: 'bitbucket.org' },
}

/**
 * The git repository a dependency spec names (`git+https://…#ref`, `git+ssh://…`, `git+file://…`,
 * `git://…`, `github:u/r`, `u/r#semver:^1`, `gitlab:u/r`, `bitbucket:u/r`), or undefined when it
 * names none. A `resolved` of a git entry reads the same way.
 */
export function parseGitSpec(raw: string): GitSpec | undefined {
  const hash = raw.indexOf('#')
  const body = hash === -1 ? raw : raw.slice(0, hash)
  const fragment = hash === -1 ? '' : decodeURIComponent(raw.slice(hash + 1))
  const hosted = hostedOf(body)
  let urls: string[]
  let base: string
  if (hosted) {
    const path = `${hosted.user}/${hosted.project}.git`
    urls = [`https://${hosted.domain}/${path}`, `ssh://git@${hosted.domain}/${path}`]
    base = `git+ssh://git@${hosted.domain}/${path}`
  } else {
    // another host: only `git+<protocol>://` and `git://` (an https URL is a tarball's)
    if (!/^(?:git\+(?:https?|ssh|file|git)|git):\/\//i.test(body)) return undefined
    const url = body.replace(/^git\+/i, '')
    urls = [url]
    base = /^git\+/i.test(body) ? `git+${url}` : url
  }
  const spec: GitSpec = { urls, base }
  // npm: `#semver:<range>`, or a committish; `::`-separated parts, the last of each kind wins
  for (const part of fragment.split('::')) {
    if (part === '') continue
    if (part.startsWith('semver:')) spec.range = part.slice('semver:'.length)
    else if (!part.includes(':')) spec.committish = part
  }
  return spec
}

/**
 * The spec npm saves in package.json for a git spec (reify's): a hosted repository by its shorthand
 * with the fragment (`github:u/r#v1.0.0`, whatever form named it: `u/r#v1.0.0`,
 * `git+https://github.com/u/r.git#v1.0.0`), any other as written; undefined when it names no repository.
 */
export function gitSavedSpec(raw: string): string | undefined {
  if (!parseGitSpec(raw)) return undefined
  const hash = raw.indexOf('#')
  const hosted = hostedOf(hash === -1 ? raw : raw.slice(0, hash))
  if (!hosted) return raw
  const type = Object.entries(HOSTS).find(([, host]) => host.domain === hosted.domain)![0]
  return `${type}:${hosted.user}/${hosted.project}${hash === -1 ? '' : raw.slice(hash)}`
}

/** Where the resolver reads a git spec from (see ResolverDeps.readGit): `#semver:` picks a tag. */
export function gitSourceOf(spec: GitSpec): GitSource {
  const source: GitSource = { urls: spec.urls }
  if (spec.committish) source.committish = spec.committish
  const range = spec.range
  if (range !== undefined) source.pickTag = (tags) => highestTagIn(tags, range)
  return source
}

/** pacote's choice for `#semver:<range>`: the tag of the highest version in the range (`v1.2.0` or `1.2.0`). */
function highestTagIn(tags: string[], range: string): string | undefined {
  let best: { tag: string; version: ReturnType<typeof parseVersion> } | undefined
  for (const tag of tags) {
    const version = parseVersion(tag.replace(/^v/, ''))
    if (!version || !satisfies(version, range)) continue
    if (!best || version.compare(best.version!) > 0) best = { tag, version }
  }
  return best?.tag
}

/** A hosted repository: `github:u/r`, `u/r`, `gitlab:u/r`, or a URL on one of those hosts. */
function hostedOf(body: string): { domain: string; user: string; project: string } | undefined {
  const short = /^(?:(github|gitlab|bitbucket):)?([^/:@\s]+)\/([^/\s]+?)(?:\.git)?$/i.exec(body)
  if (short && !/^[a-z+]+:\/\//i.test(body)) {
    const host = HOSTS[(short[1] ?? 'github').toLowerCase()]
    if (host) return { domain: host.domain, user: short[2]!, project: short[3]! }
  }
  const url =
    /^(?:git\+)?(?:https?|ssh|git):\/\/(?:[^@/]+@)?([^/:]+)(?::\d+)?[/:]([^/]+)\/([^/]+?)(?:\.git)?\/?$/i.exec(
      body,
    ) ?? /^(?:git\+ssh:\/\/)?git@([^/:]+):([^/]+)\/([^/]+?)(?:\.git)?$/i.exec(body)
  if (!url) return undefined
  const domain = url[1]!.toLowerCase()
  if (!Object.values(HOSTS).some((host) => host.domain === domain)) return undefined
  return { domain, user: url[2]!, project: url[3]! }
}

/** The repository part of a git `resolved` (without `#<commit>`), and the commit. */
export function splitResolved(resolved: string): { base: string; commit: string } {
  const hash = resolved.indexOf('#')
  return hash === -1
    ? { base: resolved, commit: '' }
    : { base: resolved.slice(0, hash), commit: resolved.slice(hash + 1) }
}
