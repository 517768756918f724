// Wall time of one resolve against the registry from npm configuration (cold: nothing cached), then of
// a second resolve over the packuments the first one fetched (the resolver's own CPU time).
// Run: pnpm --filter @tote/resolver bench [fixture] [--fetch] [--concurrency=N] [--skip-absent-optional-peers]
// (after `pnpm build`)
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type LazyPackument, type Packument, type ProjectManifest, ToteError } from '@tote/types'
import { createResolver } from '../src/index.js'
import { createScriptClient } from './_client.js'

const args = process.argv.slice(2)
const fixture = args.find((arg) => !arg.startsWith('--')) ?? 'ant-design'
const dir = join('/work/shared/fixtures', fixture)
const project = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as ProjectManifest
const npmrc = join(dir, '.npmrc')
const legacyPeerDeps = existsSync(npmrc) && /legacy-peer-deps\s*=\s*true/.test(readFileSync(npmrc, 'utf8'))

const client = await createScriptClient(args.includes('--fetch'))
const fetched = new Map<string, Promise<Packument | LazyPackument>>()
const recording = {
  getPackument(name: string) {
    const known = fetched.get(name)
    if (known) return known
    const promise = client.getPackument(name)
    fetched.set(name, promise)
    return promise
  },
}
const skipAbsentOptionalPeers = args.includes('--skip-absent-optional-peers')
let firstPick = 0
const started = performance.now()
const cpuStart = process.cpuUsage()
const concurrencyArg = args.find((arg) => arg.startsWith('--concurrency='))
const concurrency = concurrencyArg ? Number(concurrencyArg.split('=')[1]) : undefined
const cold = await createResolver(recording, {
  legacyPeerDeps,
  skipAbsentOptionalPeers,
  ...(concurrency ? { concurrency } : {}),
  onEvent: (event) => {
    if (event.type === 'version-picked' && firstPick === 0) firstPick = performance.now() - started
  },
}).resolve(project)
const coldMs = performance.now() - started
const coldCpu = process.cpuUsage(cpuStart)
await client.close()

const warmStart = performance.now()
const warmCpuStart = process.cpuUsage()
// names the cold run never asked for can only be speculative ones: refuse them
const missing = (name: string) => Promise.reject(new ToteError('E404', `${name} was not fetched`))
await createResolver(
  { getPackument: (name) => fetched.get(name) ?? missing(name) },
  { legacyPeerDeps, skipAbsentOptionalPeers },
).resolve(project)
const warmMs = performance.now() - warmStart
const warmCpu = process.cpuUsage(warmCpuStart)
const cpuText = (usage: NodeJS.CpuUsage) => `CPU ${((usage.user + usage.system) / 1e6).toFixed(2)} s`

console.log(
  `${fixture}: cold resolve ${(coldMs / 1000).toFixed(2)} s (${cpuText(coldCpu)}, ${cold.stats.packuments} packuments, ` +
    `${cold.stats.packages} entries, first version-picked after ${firstPick.toFixed(0)} ms, ` +
    `${(client.bytes() / 1e6).toFixed(0)} MB); resolve over fetched packuments ${(warmMs / 1000).toFixed(2)} s ` +
    `(${cpuText(warmCpu)})`,
)
