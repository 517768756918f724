import {
  addDependencies,
  applyDependencies,
  dependencyMaps,
  inferSaveType,
  type PackageRequest,
  parsePackageRequest,
  SAVE_TYPE_FIELDS,
  savedSpec,
  setSavedSpec,
} from '@tote/package-json'
import type { CommandContext } from '../_command-types.js'
import { fieldOf, label, saveTypeOf, topEntry } from '../_deps.js'
import { runManaged, withMaps } from '../_manage.js'

/**
 * `tote add <spec...>` (and `tote install <spec...>`): puts each package in package.json where npm
 * would, resolves, installs, and saves the spec npm saves (`^<installed version>` by default).
 * Without specs (`tote install --json`), a plain install.
 */
export async function run(context: CommandContext): Promise<number> {
  if (context.positionals.length === 0) {
    return runManaged(context, 'install', ({ session }) => ({
      manifest: session.project.manifest,
      frozen: context.values['frozen-lockfile'] === true,
      describe: () => ({ lines: [], json: {} }),
    }))
  }
  // every spec is checked before anything is fetched or written
  const requests: PackageRequest[] = context.positionals.map(parsePackageRequest)
  return runManaged(context, 'add', ({ session, file, savePrefix }) => {
    const { config, reporter } = session
    const saveType = saveTypeOf(config)
    const saveBundle = config.get('save-bundle') === true && config.get('save-peer') !== true
    const maps = dependencyMaps(file.content)
    const asked = requests.map(({ name, spec }) => ({ name, spec }))
    for (const warning of addDependencies(maps, asked, { saveType, saveBundle })) reporter.warn(warning)
    // the spec each dependency was resolved with: where it now is (optional before prod, as npm's edge)
    const resolvedSpec = (name: string) =>
      maps[SAVE_TYPE_FIELDS[saveType ?? inferSaveType(maps, name)]]?.[name] ?? '*'
    return {
      manifest: withMaps(session.project.manifest, maps as Record<string, unknown>),
      explicit: requests.map((request) => request.name),
      save(lockfile) {
        const final = structuredClone(maps)
        for (const { name } of requests) {
          const entry = topEntry(lockfile, name)
          if (!entry?.version) continue // an optional dependency that could not be installed
          const spec = savedSpec({
            name,
            spec: resolvedSpec(name),
            packageName: entry.name ?? name,
            version: entry.version,
            savePrefix,
          })
          setSavedSpec(final, name, spec, saveType)
        }
        return { content: applyDependencies(file.content, final), maps: final }
      },
      describe(lockfile, saved) {
        const added = requests.map(({ name }) => {
          const entry = topEntry(lockfile, name)
          const field = saved ? fieldOf(saved, name) : undefined
          const spec = field ? (saved![field] as Record<string, string>)[name] : undefined
          return {
            name,
            ...(entry?.name && entry.name !== name ? { package: entry.name } : {}),
            version: entry?.version ?? null,
            path: entry ? `node_modules/${name}` : null,
            field: field ?? null,
            spec: spec ?? null,
          }
        })
        const lines = added.map((item) => {
          const entry = topEntry(lockfile, item.name)
          const what = entry ? label(item.name, entry) : `${item.name} (not installed)`
          return item.field
            ? `added ${what} to ${item.field} ("${item.spec}")`
            : `installed ${what}; package.json not changed`
        })
        return { lines, json: { added } }
      },
    }
  })
}
