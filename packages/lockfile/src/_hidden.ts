import type { Lockfile, LockfilePackage } from '@tote/types'
import { lockfileFormat, rememberFormat } from './_format.js'
import type { HiddenLockfileOptions } from './types.js'

const NESTED = '/node_modules/'

/** The install paths that contain `path`: `node_modules/a/node_modules/b` → `node_modules/a`. */
function ancestorsOf(path: string): string[] {
  const ancestors: string[] = []
  for (let at = path.lastIndexOf(NESTED); at > 0; at = path.lastIndexOf(NESTED, at - 1)) {
    ancestors.push(path.slice(0, at))
  }
  return ancestors
}

/**
 * The record npm keeps in node_modules/.package-lock.json after an install: the same top level
 * (`name`, `version`, `lockfileVersion: 3`, `requires`), entries identical to the lockfile's, but
 * no root entry (`""`) and only what is installed (see {@link HiddenLockfileOptions.isInstalled}).
 * Written with the same layout as the lockfile.
 */
export function hiddenLockfile(lockfile: Lockfile, options: HiddenLockfileOptions = {}): Lockfile {
  const isInstalled = options.isInstalled ?? (() => true)
  const skipped = new Set<string>()
  const packages: Record<string, LockfilePackage> = {}
  for (const [path, entry] of Object.entries(lockfile.packages)) {
    if (path === '') continue
    if (!isInstalled(path, entry)) skipped.add(path)
    else packages[path] = { ...entry }
  }
  for (const path of Object.keys(packages)) {
    if (ancestorsOf(path).some((ancestor) => skipped.has(ancestor))) delete packages[path]
  }
  const { packages: _all, lockfileVersion: _version, ...top } = lockfile
  const hidden: Lockfile = { ...top, lockfileVersion: 3, packages }
  const format = lockfileFormat(lockfile)
  if (format !== undefined) rememberFormat(hidden, { ...format, lockfileVersion: 3 })
  return hidden
}
