import { readFileSync } from 'node:fs'
import { createResolver } from '../src/index.js'
import { createFetchClient } from './_fetch-client.js'

const fixture = process.argv[2] ?? 'ant-design'
const project = JSON.parse(readFileSync(`/work/shared/fixtures/${fixture}/package.json`, 'utf8'))
const client = createFetchClient()
let inflight = 0
let done = 0
let started = 0
const t0 = performance.now()
const timer = setInterval(
  () =>
    console.log(
      `${((performance.now() - t0) / 1000).toFixed(1)}s started ${started} inflight ${inflight} done ${done} MB ${(client.stats().bytes / 1e6).toFixed(0)}`,
    ),
  1000,
)
const r = await createResolver(
  {
    async getPackument(n) {
      started++
      inflight++
      try {
        return await client.getPackument(n)
      } finally {
        inflight--
        done++
      }
    },
  },
  { legacyPeerDeps: fixture === 'ant-design' },
).resolve(project)
clearInterval(timer)
console.log('total', ((performance.now() - t0) / 1000).toFixed(1), r.stats)
await client.close()
