import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createDownloader } from '@tote/downloader'
import { readProjectManifest, sha512Integrity, tarballPackageJsons } from '@tote/lockfile'
import {
  createResolver,
  type Resolver,
  type ResolverDeps,
  type TarballPackage,
  type TarballSource,
} from '@tote/resolver'
import type { Scheduler } from '@tote/scheduler'
import { type ProjectManifest, ToteError } from '@tote/types'
import type { CommandContext } from './_command-types.js'
import { createGitRepos } from './_git.js'
import { installStrategyOf } from './_install-checks.js'
import type { Session } from './_open-project.js'
import { platformMatches, platformOf } from './_plan.js'

/** What the resolver reads packages that are not the registry's with (see ResolverDeps). */
export type SpecReaders = Required<Pick<ResolverDeps, 'readPackage' | 'readGit' | 'readTarball'>>

/**
 * The project's readers of folders, git repositories and tarballs; a tarball is read (a URL
 * fetched) once per run, a repository fetched once per run, whoever asks (an add that looks for a
 * package's name first, then the resolver).
 */
export function createSpecReaders(session: Session): SpecReaders {
  const { config, client } = session
  const gitRepos = createGitRepos(config.cacheDir)
  const tarballs = new Map<string, Promise<TarballPackage>>()
  return {
    // file: and link: folders (relative to the project, POSIX)
    readPackage: async (path) => (await readProjectManifest(join(config.projectDir, path))).manifest,
    // git: the package.json at the commit the spec names, from tote's mirror in the cache
    readGit: (source, options) => gitRepos.read(source, options),
    // file: tarballs and tarball URLs: their package.json, and npm's integrity (sha512)
    // (and registry tarballs with bundleDependencies, checked against their integrity: what they ship)
    readTarball(source, options) {
      const key = `${source.type === 'file' ? source.path : source.url}\0${source.integrity ?? ''}`
      let read = tarballs.get(key)
      if (!read) {
        read = readTarball(source, options)
        tarballs.set(key, read)
        read.catch(() => tarballs.delete(key))
      }
      return read
    },
  }

  async function readTarball(source: TarballSource, options?: { signal?: AbortSignal }) {
    const data =
      source.type === 'file'
        ? await readFile(join(config.projectDir, source.path))
        : (
            await createDownloader(client).download(
              {
                name: source.url,
                version: '',
                tarballUrl: source.url,
                integrity: source.integrity ?? '',
              },
              options?.signal ? { signal: options.signal } : {},
            )
          ).data
    const label = source.type === 'file' ? source.path : source.url
    const found = tarballPackageJsons(data, label)
    const bundled: Record<string, ProjectManifest> = {}
    for (const [path, json] of found) {
      if (path !== 'package.json') bundled[path.slice(0, -'/package.json'.length)] = json
    }
    return { manifest: found.get('package.json')!, integrity: sha512Integrity(data), bundled }
  }
}

/**
 * The resolver of the commands that resolve a project (install, add, remove, update): the
 * registry, the project's folders, git and tarball specs (through `readers`, the project's own
 * unless given), npm's settings, and tarballs prefetched by `scheduler` (when there is one) as
 * versions are picked.
 */
export function createProjectResolver(
  session: Session,
  context: CommandContext,
  scheduler: Pick<Scheduler, 'prefetch'> | undefined,
  readers: SpecReaders = createSpecReaders(session),
): Resolver {
  const { config, client, reporter } = session
  const platform = platformOf(config)
  const resolver = createResolver(
    {
      getPackument: client.getPackument,
      getVersion: client.getVersion,
      ...readers,
      // with before / min-release-age: each version's publish time, which abbreviated packuments
      // lack, from the full document (npm fetches full documents then too)
      ...(config.before ? { getReleaseTimes: (name, options) => releaseTimes(session, name, options) } : {}),
    },
    {
      legacyPeerDeps: config.legacyPeerDeps,
      // npm's own keys, from flags or any npmrc
      force: config.get('force') === true,
      strictPeerDeps: config.get('strict-peer-deps') === true,
      // npm fetches every optional peer's packument (and its peers') only to check it would fit;
      // it is never installed, and on both fixtures the tree is the same without them
      skipAbsentOptionalPeers: context.values['npm-peer-sets'] !== true,
      registryFor: config.registryFor,
      omitLockfileRegistryResolved: config.omitLockfileRegistryResolved,
      allowGit: allowGitOf(config.get('allow-git')),
      // npm's install-links: file: folders packed and installed as copies
      installLinks: config.get('install-links') === true,
      // npm's install-strategy: hoisted, nested or shallow (linked is refused before this)
      installStrategy: installStrategyOf(config),
      // npm's before / min-release-age (and min-release-age-exclude)
      ...(config.before ? { before: config.before, releaseAgeExclude: config.releaseAgeExclude } : {}),
      onEvent(event) {
        if (event.type === 'version-picked') {
          const { dist, os, cpu, libc } = event.manifest
          // Another platform's optional binary would be downloaded for nothing.
          const fits =
            platformMatches(os, platform.os) &&
            platformMatches(cpu, platform.cpu) &&
            platformMatches(libc, platform.libc)
          // a tarball on disk is read when it is placed, not fetched ahead
          if (scheduler && dist.integrity && fits && /^https?:/i.test(dist.tarball)) {
            scheduler.prefetch({
              name: event.name,
              version: event.version,
              integrity: dist.integrity,
              tarballUrl: dist.tarball,
            })
          }
        } else if (event.type === 'progress') {
          reporter.progress.resolved = event.resolved
          reporter.update()
        } else if (event.type === 'warning') {
          reporter.warn({ code: event.code, message: `${event.message} (${event.chain.join(' > ')})` })
        }
      },
    },
  )
  return resolver
}

/** npm's allow-git (all, none or root); another value is npm's configuration error. */
function allowGitOf(value: unknown): 'all' | 'none' | 'root' {
  if (value === undefined || value === 'all' || value === 'none' || value === 'root') return value ?? 'all'
  throw new ToteError('ECONFIG', `allow-git must be all, none or root, not ${JSON.stringify(value)}`, {
    hint: 'Set allow-git to all (the default), none or root.',
    details: { key: 'allow-git', value },
  })
}

/** The `time` of `name`'s full registry document (version → ISO time). */
async function releaseTimes(
  session: Session,
  name: string,
  options?: { signal?: AbortSignal },
): Promise<Record<string, string>> {
  const { client, config } = session
  const escaped = name.startsWith('@')
    ? `@${encodeURIComponent(name.slice(1)).replace('%2F', '%2f')}`
    : encodeURIComponent(name)
  const url = `${config.registryFor(name)}${escaped}`
  const body = await client.fetchTarball(url, options?.signal ? { signal: options.signal } : {})
  let document: unknown
  try {
    document = JSON.parse(body.toString('utf8'))
  } catch (error) {
    throw new ToteError('EBADJSON', `The registry's document of ${name} is not JSON`, {
      hint: 'The registry or a proxy sent a damaged document; try again.',
      cause: error,
      details: { name },
    })
  }
  const time = (document as { time?: unknown } | null)?.time
  return time && typeof time === 'object' && !Array.isArray(time) ? (time as Record<string, string>) : {}
}
