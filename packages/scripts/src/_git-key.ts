// Git repositories as npm's allowScripts names them (arborist's script-allowed.js and npm's
// allow-scripts-writer.js, through npm-package-arg and hosted-git-info): a GitHub, GitLab or
// Bitbucket repository by its ssh URL (`git@github.com:user/repo.git`) whatever the spec says
// (`github:user/repo`, `user/repo`, an https or ssh URL), any other by its URL without `git+`
// and without `#…`; the committish is what follows `#` (not a `semver:` range).

const HOSTS: Record<string, string> = {
  github: 'github.com',
  gitlab: 'gitlab.com',
  bitbucket: 'bitbucket.org',
}

/** A git spec or `resolved`, as policy matching reads it. */
export interface GitKey {
  /** The repository: a hosted one's ssh URL, else the URL npa fetches. */
  repo: string
  /** `github:user/repo` for a hosted repository. */
  shortcut?: string
  /** What follows `#`, when it is a committish. */
  committish?: string
}

/** The repository and committish of a git spec (`github:u/r#abc`, `git+https://…#sha`), or undefined. */
export function gitKeyOf(spec: string): GitKey | undefined {
  const hash = spec.indexOf('#')
  const body = hash === -1 ? spec : spec.slice(0, hash)
  let committish: string | undefined
  if (hash !== -1) {
    for (const part of decodeURIComponent(spec.slice(hash + 1)).split('::')) {
      if (part !== '' && !part.includes(':')) committish = part
    }
  }
  const withCommittish = (key: GitKey): GitKey => (committish ? { ...key, committish } : key)
  const hosted = hostedOf(body)
  if (hosted) {
    const [name, domain] = hosted.host
    return withCommittish({
      repo: `git@${domain}:${hosted.user}/${hosted.project}.git`,
      shortcut: `${name}:${hosted.user}/${hosted.project}`,
    })
  }
  if (!/^(?:git\+[a-z]+|git):\/\//i.test(body)) return undefined
  return withCommittish({ repo: body.replace(/^git\+/i, '') })
}

function hostedOf(body: string): { host: [string, string]; user: string; project: string } | undefined {
  const short = /^(?:(github|gitlab|bitbucket):)?([^/:@\s]+)\/([^/\s]+?)(?:\.git)?$/i.exec(body)
  if (short && !/^[a-z+]+:\/\//i.test(body)) {
    const name = (short[1] ?? 'github').toLowerCase()
    return { host: [name, HOSTS[name]!], user: short[2]!, project: short[3]! }
  }
  const url =
    /^(?:git\+)?(?:https?|ssh|git):\/\/(?:[^@/]+@)?([^/:]+)(?::\d+)?[/:]([^/]+)\/([^/]+?)(?:\.git)?\/?$/i.exec(
      body,
    ) ?? /^(?:git\+ssh:\/\/)?git@([^/:]+):([^/]+)\/([^/]+?)(?:\.git)?$/i.exec(body)
  if (!url) return undefined
  const domain = url[1]!.toLowerCase()
  const name = Object.keys(HOSTS).find((key) => HOSTS[key] === domain)
  return name ? { host: [name, domain], user: url[2]!, project: url[3]! } : undefined
}

/**
 * npm's matchGit: the key names the repository a git package was resolved from, and, when it has a
 * committish, the package's commit starts with it (a short SHA matches the lockfile's full one,
 * never the reverse).
 */
export function gitKeyMatches(resolved: string | undefined, key: string): boolean {
  if (!resolved?.startsWith('git')) return false
  const node = gitKeyOf(resolved)
  const wanted = gitKeyOf(key)
  if (!node || !wanted || node.repo !== wanted.repo) return false
  if (!wanted.committish) return true
  return node.committish?.startsWith(wanted.committish) === true
}

/** npm's keyTargetsNode for a git key: the same hosted repository, whatever the committish. */
export function gitKeyTargets(resolved: string | undefined, key: string): boolean {
  if (!resolved?.startsWith('git')) return false
  const node = gitKeyOf(resolved)
  const wanted = gitKeyOf(key)
  return Boolean(node?.shortcut && wanted?.shortcut && node.repo === wanted.repo)
}
