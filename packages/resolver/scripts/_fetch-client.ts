// A minimal packument client for the comparison script (not a product): undici with 16 pooled
// connections, one DNS lookup per host, packuments reduced to what the resolver reads. The registry
// URL comes from npm configuration.
import { execFileSync } from 'node:child_process'
import { lookup } from 'node:dns/promises'
import type { PackageManifest, Packument } from '@tote/types'
import { ToteError } from '@tote/types'
import { Agent, request } from 'undici'

export function npmRegistry(): string {
  const url = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim()
  return url.endsWith('/') ? url : `${url}/`
}

const keep = [
  'name',
  'version',
  'dependencies',
  'optionalDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'bundleDependencies',
  'bin',
  'engines',
  'os',
  'cpu',
  'libc',
  'license',
  'deprecated',
  'funding',
  'hasInstallScript',
  'dist',
] as const

function reduce(doc: Record<string, unknown>): Packument {
  const versions: Record<string, PackageManifest> = {}
  for (const [version, raw] of Object.entries(
    (doc.versions ?? {}) as Record<string, Record<string, unknown>>,
  )) {
    const manifest: Record<string, unknown> = {}
    for (const key of keep) if (raw[key] !== undefined) manifest[key] = raw[key]
    if (raw.bundledDependencies !== undefined && manifest.bundleDependencies === undefined)
      manifest.bundleDependencies = raw.bundledDependencies
    const scripts = raw.scripts as Record<string, unknown> | undefined
    if (
      manifest.hasInstallScript === undefined &&
      scripts &&
      (scripts.install || scripts.preinstall || scripts.postinstall)
    )
      manifest.hasInstallScript = true
    versions[version] = manifest as unknown as PackageManifest
  }
  return {
    name: doc.name as string,
    'dist-tags': (doc['dist-tags'] ?? {}) as Record<string, string>,
    versions,
  }
}

export function createFetchClient(registry = npmRegistry()) {
  const host = new URL(registry).hostname
  let address: Promise<{ address: string; family: number }> | undefined
  const agent = new Agent({
    connections: 16,
    pipelining: 1,
    connect: {
      lookup: (hostname, options, callback) => {
        if (hostname !== host) return callback(new Error(`unexpected host ${hostname}`), '', 4)
        address ??= lookup(hostname, { family: 4 })
        address.then(
          (a) => {
            if ((options as { all?: boolean }).all) (callback as (e: null, a: unknown[]) => void)(null, [a])
            else callback(null, a.address, a.family)
          },
          (error) => callback(error, '', 4),
        )
      },
    },
  })
  let requests = 0
  let bytes = 0
  return {
    stats: () => ({ requests, bytes }),
    close: () => agent.close(),
    async getPackument(name: string, options?: { signal?: AbortSignal }): Promise<Packument> {
      const url = registry + name.replace('/', '%2f')
      for (let attempt = 0; ; attempt++) {
        try {
          requests++
          const response = await request(url, {
            dispatcher: agent,
            headers: { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8' },
            signal: options?.signal,
          })
          if (response.statusCode === 404) {
            await response.body.dump()
            throw new ToteError('E404', `${name} is not in the registry`, { details: { name, url } })
          }
          if (response.statusCode !== 200) {
            await response.body.dump()
            throw new Error(`GET ${url}: ${response.statusCode}`)
          }
          const text = await response.body.text()
          bytes += text.length
          return reduce(JSON.parse(text) as Record<string, unknown>)
        } catch (error) {
          if (error instanceof ToteError || attempt >= 2 || options?.signal?.aborted) throw error
        }
      }
    },
  }
}
