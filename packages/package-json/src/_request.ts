import { packageNameProblem, ToteError } from '@tote/types'
import semver from 'semver'
import type { PackageRequest } from './types.js'

const unsupported = (arg: string, kind: string, why: string) =>
  new ToteError('EUNSUPPORTEDSPEC', `${JSON.stringify(arg)} is a ${kind} spec: ${why}`, {
    hint: 'Give a name with a version, range or dist-tag (name@^1.2.0), an alias (alias@npm:name@^1), a folder or tarball (../lib, file:a.tgz), a tarball URL, or a git repository (github:user/repo, git+https://host/repo.git#v1).',
    details: { spec: arg, kind },
  })

function kindOf(spec: string): 'range' | 'version' | 'tag' | undefined {
  if (spec === '*' || spec === '') return 'range'
  if (semver.valid(spec, true)) return 'version'
  if (semver.validRange(spec, true) !== null) return 'range'
  if (encodeURIComponent(spec) === spec) return 'tag'
  return undefined
}

function splitNameAndSpec(text: string): { name: string; spec: string | undefined } {
  const at = text.indexOf('@', text.startsWith('@') ? 1 : 0)
  return at === -1 ? { name: text, spec: undefined } : { name: text.slice(0, at), spec: text.slice(at + 1) }
}

// npm-package-arg's patterns (POSIX): a URL-like spec, scp-like git (`git@host:u/r`), a tarball's
// file name, a path
const URL_LIKE = /^(?:git[+])?[a-z]+:/i
const SCP_GIT = /^[^@]+@[^:.]+\.[^:]+:.+$/i
const TARBALL = /[.](?:tgz|tar\.gz|tar)$/i
const PATH_LIKE = /^(?:[.]|~[/]|[/\\]|[a-zA-Z]:)/
/** hosted-git-info's shorthands tote serves (`gist:` it does not), and `user/repo[#ref]` (GitHub's). */
const HOSTED = /^(?:(?:github|gitlab|bitbucket):)?[^/:@#\s]+\/[^/:#\s]+(?:#.*)?$/i
/** A URL of a repository on one of those hosts (`https://github.com/u/r.git`, `git+ssh://git@gitlab.com/u/r`). */
const HOSTED_URL =
  /^(?:git\+)?(?:https?|ssh|git):\/\/(?:[^@/]+@)?(?:github\.com|gitlab\.com|bitbucket\.org)(?::\d+)?[/:][^/]+\/[^/#]+?(?:\.git)?\/?(?:#.*)?$/i

/**
 * A spec that names no registry package, as npm-package-arg classifies it: a folder or tarball
 * (on disk), a tarball URL, a git repository. Undefined for the registry's kinds.
 */
function otherKind(arg: string, spec: string): Exclude<PackageRequest['type'], RegistryType> | undefined {
  if (/^file:/i.test(spec) || PATH_LIKE.test(spec)) {
    const path = spec.replace(/^file:/i, '')
    return TARBALL.test(path) ? 'file' : 'directory'
  }
  if (spec.startsWith('npm:')) return undefined
  if (/^gist:/i.test(spec)) throw unsupported(arg, 'gist', 'tote does not install gists')
  if (HOSTED.test(spec) || HOSTED_URL.test(spec)) return 'git'
  if (URL_LIKE.test(spec)) {
    if (/^(?:git\+[a-z]+|git):\/\//i.test(spec)) return 'git'
    if (/^https?:\/\//i.test(spec)) return 'remote'
    const protocol = spec.slice(0, spec.indexOf(':') + 1).toLowerCase()
    throw unsupported(
      arg,
      protocol,
      `npm has no ${protocol} specs to add (npm's EUNSUPPORTEDPROTOCOL); tote installs ${protocol} specs package.json already has`,
    )
  }
  if (spec.includes('/') || TARBALL.test(spec)) return TARBALL.test(spec) ? 'file' : 'directory'
  return undefined
}

type RegistryType = 'range' | 'version' | 'tag' | 'alias'

/**
 * A package spec from the command line, as npm-package-arg reads it: `name`,
 * `name@<range|version|tag>`, `@scope/name@…`, `alias@npm:name[@…]` (a bare name asks for `*`); and
 * the kinds that name no registry package, with or without `name@` before them: a folder (`../lib`,
 * `file:../lib`), a tarball on disk (`a-1.0.0.tgz`, `file:a.tgz`), a tarball URL (`https://…`), a git
 * repository (`github:u/r`, `u/r#v1`, `gitlab:u/r`, `bitbucket:u/r`, `git+https://…#semver:^1`,
 * `git@host:u/r`). Without `name@`, such a request's `name` is undefined: npm takes the package's own.
 *
 * @throws ToteError `EINVALIDPACKAGENAME` for a name npm would refuse, `EUNSUPPORTEDSPEC` for what
 * npm does not add either (`link:`, `workspace:`, another protocol) or tote does not serve (`gist:`,
 * an alias of an alias), `EINVALIDTAGNAME` for a spec that is none of the kinds.
 */
export function parsePackageRequest(arg: string): PackageRequest {
  const text = arg.trim()
  const nameEnd = text.startsWith('@') ? text.indexOf('@', 1) : text.indexOf('@')
  const namePart = nameEnd > 0 ? text.slice(0, nameEnd) : text
  let name: string | undefined
  let given: string | undefined
  if (URL_LIKE.test(text)) given = text
  else if (SCP_GIT.test(text)) given = `git+ssh://${text}`
  else if (!namePart.startsWith('@') && (namePart.includes('/') || TARBALL.test(namePart))) given = text
  else if (nameEnd > 0) {
    name = text.slice(0, nameEnd)
    given = text.slice(nameEnd + 1)
  } else name = text
  if (name !== undefined) {
    const problem = packageNameProblem(name)
    if (problem !== undefined) {
      throw new ToteError('EINVALIDPACKAGENAME', `Invalid package name ${JSON.stringify(name)}: ${problem}`, {
        hint: 'Give a package name as published, with an optional @version, @range or @tag.',
        details: { spec: arg, name },
      })
    }
  }
  const spec = given === undefined || given.trim() === '' ? '*' : given.trim()
  const other = otherKind(arg, spec)
  if (other !== undefined) return { name, spec, type: other, packageName: name }
  if (name === undefined) throw invalidSpec(arg, spec)
  if (spec.startsWith('npm:')) {
    const target = splitNameAndSpec(spec.slice(4))
    const targetProblem = packageNameProblem(target.name)
    if (targetProblem !== undefined) {
      throw new ToteError(
        'EINVALIDPACKAGENAME',
        `Invalid package name ${JSON.stringify(target.name)} in ${JSON.stringify(arg)}: ${targetProblem}`,
        { hint: 'Write an alias as alias@npm:name@range.', details: { spec: arg, name: target.name } },
      )
    }
    const sub = target.spec === undefined ? '*' : target.spec.trim()
    if (sub.startsWith('npm:'))
      throw unsupported(arg, 'alias of an alias', 'npm aliases registry packages only')
    if (kindOf(sub) === undefined) throw invalidSpec(arg, sub)
    return { name, spec, type: 'alias', packageName: target.name }
  }
  const type = kindOf(spec)
  if (type === undefined) throw invalidSpec(arg, spec)
  return { name, spec, type, packageName: name }
}

function invalidSpec(arg: string, spec: string): ToteError {
  return new ToteError(
    'EINVALIDTAGNAME',
    `Invalid tag name ${JSON.stringify(spec)} of ${JSON.stringify(arg)}: tags may not have any characters that encodeURIComponent encodes`,
    { hint: 'Give a version (1.2.3), a range (^1.2.0) or a dist-tag (latest).', details: { spec: arg } },
  )
}

/**
 * Whether an installed package meets a dependency's spec, as npm's ls and explain judge it: the
 * version within a range (loosely, as npm's dep-valid), the same version for an exact one, the
 * right package for an alias; a dist-tag or a spec tote cannot read is taken as met.
 */
export function specAccepts(
  spec: string,
  packageName: string,
  installed: { name: string; version: string },
): boolean {
  let range = spec.trim()
  if (range.startsWith('npm:')) {
    const rest = range.slice(4)
    const at = rest.indexOf('@', rest.startsWith('@') ? 1 : 0)
    if ((at === -1 ? rest : rest.slice(0, at)) !== installed.name) return false
    range = at === -1 ? '*' : rest.slice(at + 1).trim()
  } else if (installed.name !== packageName) return false
  if (range === '' || range === '*' || range === 'latest') return true
  if (semver.validRange(range, true) === null) return true
  return semver.satisfies(installed.version, range, { loose: true })
}

/**
 * The version npm picks for a spec from a package's versions (npm-pick-manifest, without its engines
 * and deprecation preferences): a dist-tag's version; the version itself; for a range, the `latest`
 * tag's version when it is in range, else the highest release in range (a prerelease only when none).
 */
export function pickVersion(
  spec: string,
  versions: readonly string[],
  distTags: Record<string, string>,
): string | undefined {
  const text = spec.trim() === '' ? '*' : spec.trim()
  if (Object.hasOwn(distTags, text)) return distTags[text]
  const exact = semver.valid(text, true)
  if (exact) return versions.find((version) => semver.eq(version, exact, true))
  if (semver.validRange(text, true) === null) return undefined
  const latest = distTags.latest
  if (latest && semver.satisfies(latest, text, { loose: true })) return latest
  const releases = versions.filter((version) => !semver.prerelease(version, true))
  return (
    semver.maxSatisfying(releases, text, { loose: true }) ??
    semver.maxSatisfying([...versions], text, { loose: true, includePrerelease: true }) ??
    undefined
  )
}
