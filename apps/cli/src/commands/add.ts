import { homedir } from 'node:os'
import { isAbsolute, relative, resolve, sep } from 'node:path'
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
import { gitSavedSpec, gitSourceOf, parseGitSpec } from '@tote/resolver'
import { ToteError } from '@tote/types'
import type { CommandContext } from '../_command-types.js'
import { fieldOf, installedEntry, label, saveTypeOf } from '../_deps.js'
import { runManaged, withMaps } from '../_manage.js'
import type { SpecReaders } from '../_project-resolver.js'

/** A request with its name known, and the spec package.json gets before resolving. */
interface NamedRequest {
  name: string
  spec: string
  /** A registry spec, saved as npm saves one once its version is known (`^<version>`); else kept. */
  registry: boolean
}

/**
 * `tote add <spec...>` (and `tote install <spec...>`): puts each package in package.json where npm
 * would, resolves, installs, and saves the spec npm saves: `^<installed version>` by default for a
 * registry package; for a folder or tarball `file:<path from the project>`, a tarball URL as given,
 * a hosted git repository by its shorthand (`github:u/r#ref`), another as given. A spec without a
 * name is named after its package's package.json. Without specs (`tote install --json`), a plain install.
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
  return runManaged(context, 'add', async ({ session, file, savePrefix, readers }) => {
    const { config, reporter } = session
    const named = await Promise.all(
      requests.map((request) => nameRequest(request, config.projectDir, readers)),
    )
    const saveType = saveTypeOf(config)
    const saveBundle = config.get('save-bundle') === true && config.get('save-peer') !== true
    const maps = dependencyMaps(file.content)
    const asked = named.map(({ name, spec }) => ({ name, spec }))
    for (const warning of addDependencies(maps, asked, { saveType, saveBundle })) reporter.warn(warning)
    // the spec each dependency was resolved with: where it now is (optional before prod, as npm's edge)
    const resolvedSpec = (name: string) =>
      maps[SAVE_TYPE_FIELDS[saveType ?? inferSaveType(maps, name)]]?.[name] ?? '*'
    return {
      manifest: withMaps(session.project.manifest, maps as Record<string, unknown>),
      explicit: named.map((request) => request.name),
      save(lockfile) {
        const final = structuredClone(maps)
        for (const { name, spec: given, registry } of named) {
          if (!registry) {
            // npm saves these as they were resolved, whatever save-prefix and save-exact say
            setSavedSpec(final, name, given, saveType)
            continue
          }
          const entry = installedEntry(lockfile, name)
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
        const added = named.map(({ name }) => {
          const entry = installedEntry(lockfile, name)
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
          const entry = installedEntry(lockfile, item.name)
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

/**
 * The request's name (for a spec that gives none, its package's own, read as the resolver will
 * read it) and the spec package.json gets, as npm's reify saves it.
 */
async function nameRequest(
  request: PackageRequest,
  projectDir: string,
  readers: SpecReaders,
): Promise<NamedRequest> {
  const given = request.spec
  let spec: string
  let read: () => Promise<{ name?: unknown }>
  switch (request.type) {
    case 'directory':
    case 'file': {
      // a path from the project, as npm saves it (`file:../lib`, `file:a-1.0.0.tgz`)
      const path = posixPathFrom(projectDir, given)
      spec = `file:${path.replace(/#/g, '%23')}`
      read =
        request.type === 'directory'
          ? () => readers.readPackage(path)
          : async () => (await readers.readTarball({ type: 'file', path })).manifest
      break
    }
    case 'remote':
      spec = given
      read = async () => (await readers.readTarball({ type: 'remote', url: given })).manifest
      break
    case 'git': {
      const git = parseGitSpec(given)
      const saved = gitSavedSpec(given)
      if (!git || saved === undefined) {
        throw new ToteError(
          'EUNSUPPORTEDSPEC',
          `${JSON.stringify(given)} names no git repository tote can clone`,
          {
            hint: 'Give a repository as github:user/repo, gitlab:user/repo, bitbucket:user/repo, user/repo, or git+https://host/path.git (with #ref or #semver:range).',
            details: { spec: given, kind: 'git' },
          },
        )
      }
      spec = saved
      read = async () => (await readers.readGit(gitSourceOf(git))).manifest
      break
    }
    default:
      return { name: request.name!, spec: given, registry: true }
  }
  if (request.name !== undefined) return { name: request.name, spec, registry: false }
  const manifest = await read()
  if (typeof manifest.name !== 'string' || manifest.name === '') {
    throw new ToteError(
      'EPACKAGEJSON',
      `The package of ${JSON.stringify(given)} has no name in its package.json`,
      {
        hint: `Name it on the command line: <name>@${given}.`,
        details: { spec: given },
      },
    )
  }
  return { name: manifest.name, spec, registry: false }
}

/** A `file:` or path spec's path from the project, POSIX (`../lib`, `a.tgz`), as npm relates it. */
function posixPathFrom(projectDir: string, given: string): string {
  let path = given.replace(/^file:/i, '')
  // file:///abs and file://abs as npm-package-arg takes them
  if (path.startsWith('//')) path = path.replace(/^\/\/(?=\/)/, '').replace(/^\/\//, '/')
  if (path.startsWith('~/')) path = resolve(homedir(), path.slice(2))
  const absolute = isAbsolute(path) ? path : resolve(projectDir, path)
  return relative(projectDir, absolute).split(sep).join('/')
}
