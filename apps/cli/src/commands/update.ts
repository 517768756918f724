import {
  applyDependencies,
  DEPENDENCY_FIELDS,
  type DependencyMaps,
  dependencyMaps,
  savedSpec,
  setSavedSpec,
} from '@tote/package-json'
import { type Lockfile, packageNameProblem, ToteError } from '@tote/types'
import type { CommandContext } from '../_command-types.js'
import { topEntry } from '../_deps.js'
import { runManaged, withMaps } from '../_manage.js'
import { nameOfPath } from '../_plan.js'

/** A registry spec's parts: `npm:<name>@` for an alias, and the range or version after it. */
function splitAlias(spec: string): { alias: string; range: string } {
  if (!spec.startsWith('npm:')) return { alias: '', range: spec.trim() }
  const rest = spec.slice(4)
  const at = rest.indexOf('@', rest.startsWith('@') ? 1 : 0)
  return at === -1
    ? { alias: `npm:${rest}@`, range: '*' }
    : { alias: `npm:${rest.slice(0, at)}@`, range: rest.slice(at + 1) }
}

const EXACT = /^=?v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?$/
const isRegistrySpec = (spec: string) =>
  !/[/:]/.test(splitAlias(spec).range) &&
  !/^(git|file|link|workspace|https?):/.test(spec.replace(/^npm:/, ''))

/** What changed between two trees: every install path whose version is new or different, by path. */
export function changesBetween(before: Lockfile | undefined, after: Lockfile) {
  const changes: { path: string; name: string; from: string | null; to: string | null }[] = []
  const old = before?.packages ?? {}
  for (const [path, entry] of Object.entries(after.packages)) {
    if (path === '' || entry.link) continue
    const from = old[path]?.version ?? null
    if (from !== (entry.version ?? null))
      changes.push({ path, name: entry.name ?? nameOfPath(path), from, to: entry.version ?? null })
  }
  for (const [path, entry] of Object.entries(old)) {
    if (path === '' || entry.link || after.packages[path]) continue
    changes.push({ path, name: entry.name ?? nameOfPath(path), from: entry.version ?? null, to: null })
  }
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/**
 * `tote update [name...]`: npm update. Without names the tree is resolved anew within the ranges of
 * package.json (npm resolves without its lockfile then); with names, each dependency on those
 * packages, wherever it is, takes the newest version its range allows. package.json changes only
 * with --save. `--latest`: the project's dependencies (the named ones, or all) move to their latest
 * versions, keeping their range operator, and package.json is saved.
 */
export async function run(context: CommandContext): Promise<number> {
  const names = [...new Set(context.positionals)]
  for (const name of names) {
    const problem = packageNameProblem(name)
    if (problem !== undefined) {
      throw new ToteError('EINVALIDPACKAGENAME', `Invalid package name ${JSON.stringify(name)}: ${problem}`, {
        hint: 'Give the names of packages to update, without versions.',
        details: { usage: true },
      })
    }
  }
  const latest = context.values.latest === true
  return runManaged(context, 'update', ({ session, file, savePrefix }) => {
    const maps = dependencyMaps(file.content)
    const direct = new Set(DEPENDENCY_FIELDS.flatMap((field) => Object.keys(maps[field] ?? {})))
    const describe = (lockfile: Lockfile, _saved: unknown, before: Lockfile | undefined) => {
      const updated = changesBetween(before, lockfile)
      const lines = updated
        .filter((change) => change.path.lastIndexOf('node_modules/') === 0 && change.from && change.to)
        .map((change) => `updated ${change.name} ${change.from} → ${change.to}`)
      return { lines, json: { updated } }
    }
    if (latest) {
      const targets = (names.length > 0 ? names : [...direct]).filter((name) => {
        const spec = DEPENDENCY_FIELDS.map((field) => maps[field]?.[name]).find(
          (value) => value !== undefined,
        )
        if (spec === undefined) {
          session.reporter.warn({
            code: 'ENOTDEPENDENCY',
            message: `${name} is not a dependency of the project`,
          })
          return false
        }
        return isRegistrySpec(spec)
      })
      const prefixes = new Map<string, string>()
      const asked: DependencyMaps = structuredClone(maps)
      for (const name of targets) {
        for (const field of ['dependencies', 'devDependencies', 'optionalDependencies'] as const) {
          const spec = asked[field]?.[name]
          if (spec === undefined) continue
          const { alias, range } = splitAlias(spec)
          if (!prefixes.has(name))
            prefixes.set(
              name,
              EXACT.test(range) ? '' : range.startsWith('~') ? '~' : range.startsWith('^') ? '^' : savePrefix,
            )
          asked[field]![name] = `${alias}latest`
        }
      }
      return {
        manifest: withMaps(session.project.manifest, asked as Record<string, unknown>),
        explicit: targets,
        save(lockfile) {
          const final = structuredClone(maps)
          for (const name of targets) {
            const entry = topEntry(lockfile, name)
            if (!entry?.version) continue
            const range = `${prefixes.get(name) ?? savePrefix}${entry.version}`
            const spec = entry.name && entry.name !== name ? `npm:${entry.name}@${range}` : range
            for (const field of ['dependencies', 'devDependencies', 'optionalDependencies'] as const) {
              if (final[field]?.[name] !== undefined) final[field][name] = spec
            }
          }
          return { content: applyDependencies(file.content, final), maps: final }
        },
        describe,
      }
    }
    // npm update saves package.json only when --save is given on the command line
    const saves = context.values.save === true
    return {
      manifest: session.project.manifest,
      lockfileDespiteNoSave: true,
      ...(names.length > 0 ? { update: names } : { fresh: true }),
      ...(saves
        ? {
            save(lockfile: Lockfile) {
              const final = structuredClone(maps)
              for (const name of names.length > 0 ? names.filter((n) => direct.has(n)) : direct) {
                const entry = topEntry(lockfile, name)
                const spec = DEPENDENCY_FIELDS.map((field) => maps[field]?.[name]).find(
                  (value) => value !== undefined,
                )
                // npm leaves a dependency pinned to an exact version as it is
                if (!entry?.version || spec === undefined || EXACT.test(splitAlias(spec).range)) continue
                if (!isRegistrySpec(spec)) continue
                const next = savedSpec({
                  name,
                  spec,
                  packageName: entry.name ?? name,
                  version: entry.version,
                  savePrefix,
                })
                setSavedSpec(final, name, next, undefined)
              }
              return { content: applyDependencies(file.content, final), maps: final }
            },
          }
        : {}),
      describe,
    }
  })
}
