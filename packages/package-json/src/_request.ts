import { packageNameProblem, ToteError } from '@tote/types'
import semver from 'semver'
import type { PackageRequest } from './types.js'

const unsupported = (arg: string, kind: string) =>
  new ToteError(
    'EUNSUPPORTEDSPEC',
    `${JSON.stringify(arg)} is a ${kind} spec; tote adds registry packages only, so far`,
    {
      hint: 'Give a name with a version, range or dist-tag (name@^1.2.0, name@latest), or an alias (alias@npm:name@^1).',
      details: { spec: arg, kind },
    },
  )

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

/**
 * A package spec from the command line, as npm-package-arg reads the registry kinds: `name`,
 * `name@<range|version|tag>`, `@scope/name@…`, `alias@npm:name[@…]`. A bare name asks for `*`.
 *
 * @throws ToteError `EINVALIDPACKAGENAME` for a name npm would refuse, `EUNSUPPORTEDSPEC` for git,
 * file, folder and URL specs (and an alias of an alias), `EINVALIDTAGNAME` for a spec that is none
 * of the kinds.
 */
export function parsePackageRequest(arg: string): PackageRequest {
  const text = arg.trim()
  if (/^(git\+|git:|github:|gitlab:|bitbucket:|gist:|file:|link:|workspace:|https?:)/i.test(text)) {
    throw unsupported(arg, text.split(':')[0]!.toLowerCase())
  }
  if (/^(\.{1,2}|~)?[/\\]/.test(text) || /\.(tgz|tar\.gz|tar)$/i.test(text)) throw unsupported(arg, 'file')
  const { name, spec: given } = splitNameAndSpec(text)
  const problem = packageNameProblem(name)
  if (problem !== undefined) {
    // `user/repo` is a GitHub shortcut to npm
    if (!name.startsWith('@') && name.includes('/')) throw unsupported(arg, 'git')
    throw new ToteError('EINVALIDPACKAGENAME', `Invalid package name ${JSON.stringify(name)}: ${problem}`, {
      hint: 'Give a package name as published, with an optional @version, @range or @tag.',
      details: { spec: arg, name },
    })
  }
  const spec = given === undefined || given.trim() === '' ? '*' : given.trim()
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
    if (sub.startsWith('npm:')) throw unsupported(arg, 'alias of an alias')
    if (kindOf(sub) === undefined) throw invalidSpec(arg, sub)
    return { name, spec, type: 'alias', packageName: target.name }
  }
  if (/^(git\+|git:|github:|gitlab:|bitbucket:|gist:|file:|link:|workspace:|https?:)/i.test(spec)) {
    throw unsupported(arg, spec.split(':')[0]!.toLowerCase())
  }
  if (/^(\.{1,2}|~)?[/\\]/.test(spec) || spec.includes('/')) throw unsupported(arg, 'git or file')
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
