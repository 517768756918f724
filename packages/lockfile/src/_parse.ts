import type { Lockfile, LockfilePackage } from '@tote/types'
import { lockfileKeyProblem, packageNameProblem, ToteError } from '@tote/types'
import { DEPENDENCY_FIELDS } from './_fields.js'
import { detectJsonFormat, rememberFormat } from './_format.js'
import { describeJsonError, findJsonErrorIndex, locationOf, type TextLocation } from './_json-error.js'
import { isJsonObject } from './_order.js'
import { packagesFromV1 } from './_v1.js'
import type { ParseLockfileOptions } from './types.js'

const REGENERATE_HINT = 'Fix the file by hand, or delete it and run the install again to write a new one.'
const TAMPERED_HINT =
  'Keys are install paths inside the project; this one is not, so the file was edited or tampered with. Restore it from version control, or delete it and run the install again.'
const CONFLICT_MARKER = /^(?:<{7}|={7}|>{7})(?: |\r?$)/m
const STRING_FIELDS = ['name', 'version', 'resolved', 'integrity'] as const

function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`
}

/**
 * Reads the text of a package-lock.json (or npm-shrinkwrap.json, or node_modules/.package-lock.json),
 * version 3, 2 or 1. A v2 file's legacy `dependencies` section is dropped and the record says version
 * 3; {@link lockfileFormat} tells the version, indent and line ending the text had. A v1 file (npm 6)
 * is read as npm 7+ reads it: its `dependencies` tree becomes `packages` entries with what v1 records
 * (version, resolved, integrity, dev/optional, links, `requires` as dependencies); the rest of each
 * entry (engines, bin, license, the kind of each dependency…) is to be fetched from the registry, as
 * npm does once (`@tote/resolver` does it for a lockfile whose format says version 1).
 *
 * @throws ToteError `ELOCKFILE` when the text is not JSON (with line and column), has no or an
 * unsupported `lockfileVersion`, or `packages` or one of its entries has the wrong shape.
 */
export function parseLockfile(text: string, options: ParseLockfileOptions = {}): Lockfile {
  const file = options.path ?? 'package-lock.json'
  const source = text.replace(/^\uFEFF/, '')
  const fail = (message: string, location?: TextLocation, hint = REGENERATE_HINT): never => {
    const where = location === undefined ? '' : ` (line ${location.line}, column ${location.column})`
    throw new ToteError('ELOCKFILE', `${file}: ${message}${where}`, {
      hint,
      details: { path: file, ...location },
    })
  }

  if (source.trim() === '') fail('the file is empty')
  let data: unknown
  try {
    data = JSON.parse(source)
  } catch (error) {
    const conflict = CONFLICT_MARKER.exec(source)
    if (conflict !== null) {
      fail(
        'has unresolved merge conflict markers',
        locationOf(source, conflict.index),
        'Resolve the conflict in the file, or check out one side and run the install again.',
      )
    }
    const { reason, position } = describeJsonError((error as Error).message)
    const index = position ?? findJsonErrorIndex(source)
    fail(`invalid JSON: ${reason}`, locationOf(source, Math.max(0, index)))
  }

  if (!isJsonObject(data)) return fail(`must hold a JSON object, found ${describeType(data)}`)
  const { lockfileVersion, packages: sectionPackages, dependencies: legacyTree, ...rest } = data
  if (lockfileVersion === undefined) fail('has no lockfileVersion')
  let packages = sectionPackages
  if (lockfileVersion === 1) {
    if (!isJsonObject(legacyTree) && legacyTree !== undefined) {
      fail(
        `"dependencies" must be an object, found ${describeType(legacyTree)}`,
        locateKey(source, 'dependencies'),
      )
    }
    packages = packagesFromV1(data)
  }
  if (lockfileVersion !== 1 && lockfileVersion !== 2 && lockfileVersion !== 3) {
    fail(
      `has an unsupported lockfileVersion ${JSON.stringify(lockfileVersion)}; tote reads versions 1, 2 and 3`,
      locateKey(source, 'lockfileVersion'),
    )
  }
  if (packages === undefined) fail('has no "packages" section')
  if (!isJsonObject(packages)) {
    fail(`"packages" must be an object, found ${describeType(packages)}`, locateKey(source, 'packages'))
  }

  const entries = packages as Record<string, unknown>
  for (const [path, entry] of Object.entries(entries)) {
    const where = (): TextLocation | undefined => locateEntry(source, path)
    const label = `packages[${JSON.stringify(path)}]`
    const keyProblem = lockfileKeyProblem(path)
    if (keyProblem !== undefined)
      fail(`${label} is not a valid install path: ${keyProblem}`, where(), TAMPERED_HINT)
    if (!isJsonObject(entry)) fail(`${label} must be an object, found ${describeType(entry)}`, where())
    const record = entry as Record<string, unknown>
    // The name of an aliased package is a folder name too (the cache and messages use it).
    if (typeof record.name === 'string' && path.includes('node_modules/')) {
      const nameProblem = packageNameProblem(record.name)
      if (nameProblem !== undefined) {
        fail(
          `${label}.name ${JSON.stringify(record.name)} is not a package name: ${nameProblem}`,
          where(),
          TAMPERED_HINT,
        )
      }
    }
    for (const field of STRING_FIELDS) {
      const value = record[field]
      if (value !== undefined && typeof value !== 'string') {
        fail(`${label}.${field} must be a string, found ${describeType(value)}`, where())
      }
    }
    for (const field of DEPENDENCY_FIELDS) {
      const map = record[field]
      if (map === undefined) continue
      if (!isJsonObject(map)) fail(`${label}.${field} must be an object, found ${describeType(map)}`, where())
      for (const [name, spec] of Object.entries(map as Record<string, unknown>)) {
        if (typeof spec !== 'string') {
          fail(
            `${label}.${field}[${JSON.stringify(name)}] must be a string, found ${describeType(spec)}`,
            where(),
          )
        }
      }
    }
  }

  const lockfile = {
    ...rest,
    lockfileVersion: 3,
    packages: entries as Record<string, LockfilePackage>,
  } as Lockfile
  rememberFormat(lockfile, { ...detectJsonFormat(source), lockfileVersion: lockfileVersion as number })
  return lockfile
}

/** Where the first `"key":` starts at or after `from`, if there is one (for messages only). */
function locateKey(text: string, key: string, from = 0): TextLocation | undefined {
  const pattern = new RegExp(`${escapeRegExp(JSON.stringify(key))}\\s*:`, 'g')
  pattern.lastIndex = from
  const match = pattern.exec(text)
  return match === null ? undefined : locationOf(text, match.index)
}

/** Where `"path":` starts inside the `packages` object, if it can be found. */
function locateEntry(text: string, path: string): TextLocation | undefined {
  const section = /"packages"\s*:/.exec(text)
  return section === null ? undefined : locateKey(text, path, section.index)
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}
