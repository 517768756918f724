import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import type { Packument } from '@tote/types'
import { createResolver } from '../src/index.js'
import { createFetchClient } from './_fetch-client.js'

const fixture = process.argv[2] ?? 'ant-design'
const cache = `/tmp/packuments-${fixture}.json`
const project = JSON.parse(readFileSync(`/work/shared/fixtures/${fixture}/package.json`, 'utf8'))
const legacyPeerDeps = fixture === 'ant-design'
let docs: Record<string, Packument>
if (!existsSync(cache)) {
  const client = createFetchClient()
  const got: Record<string, Packument> = {}
  await createResolver(
    { getPackument: async (n) => (got[n] = await client.getPackument(n)) },
    { legacyPeerDeps },
  ).resolve(project)
  await client.close()
  writeFileSync(cache, JSON.stringify(got))
  docs = got
} else docs = JSON.parse(readFileSync(cache, 'utf8'))
for (let i = 0; i < Number(process.env.RUNS ?? 2); i++) {
  const t = performance.now()
  const r = await createResolver({ getPackument: async (n) => docs[n]! }, { legacyPeerDeps }).resolve(project)
  console.log('resolve', (performance.now() - t).toFixed(0), 'ms', r.stats)
}
