import type { Lockfile } from '@tote/types'
import semver from 'semver'
import type { EngineMismatch } from './types.js'

/**
 * The lockfile's packages whose `engines.node` the given Node.js version does not satisfy, as
 * npm's buildIdealTree checks them (npm-install-checks' checkEngine, prereleases included): every
 * entry but links and optional ones, the project's own included, in the lockfile's order. An
 * invalid range does not match. `engines.npm` is not looked at: tote is not npm.
 */
export function unsupportedEngines(lockfile: Lockfile, nodeVersion: string): EngineMismatch[] {
  const found: EngineMismatch[] = []
  for (const [path, entry] of Object.entries(lockfile.packages)) {
    if (entry.link === true || entry.optional === true) continue
    const engines = entry.engines
    if (!engines || typeof engines !== 'object' || Array.isArray(engines)) continue
    const wanted = (engines as Record<string, unknown>).node
    if (typeof wanted !== 'string') continue
    if (semver.satisfies(nodeVersion, wanted, { includePrerelease: true })) continue
    const name =
      entry.name ??
      (path === '' ? lockfile.name : path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length))
    found.push({
      path,
      name: name ?? '',
      version: entry.version ?? '',
      required: engines as Record<string, string>,
    })
  }
  return found
}
