// Checks that reading a document from its bytes (readDocument, what getPackument does) gives exactly
// what JSON.parse + reducePackument gives, for every package of a real dependency closure.
//
//   cd packages/registry-client && npx tsc -p tsconfig.build.json
//   node bench/compare-reduce.mjs <project>/package-lock.json   # fetches from `npm config get registry`
//   node bench/compare-reduce.mjs --docs DIR                     # documents saved as DIR/*.json
//
// Exits with status 1 and names the packages when any result differs, or cannot be read at all.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { Agent } from 'undici'
import { escapePackageName } from '../dist/_client.js'
import { readDocument } from '../dist/packument/_read.js'
import { reducePackument } from '../dist/packument/_reduce.js'

const CHUNK = 64 * 1024

/** A lazily read packument as reducePackument gives it: every version read, unusable ones left out. */
function readAll({ name, 'dist-tags': distTags, versions: lazy, modified }) {
  const versions = {}
  for (const key of lazy.keys()) {
    const manifest = lazy.get(key)
    if (manifest) versions[key] = manifest
  }
  return { name, 'dist-tags': distTags, versions, ...(modified === undefined ? {} : { modified }) }
}

async function* documents(args) {
  if (args[0] === '--docs') {
    for (const file of readdirSync(args[1]).filter((file) => file.endsWith('.json'))) {
      yield { name: file, bytes: readFileSync(join(args[1], file)) }
    }
    return
  }
  const lock = JSON.parse(readFileSync(args[0], 'utf8'))
  const names = new Set()
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.link) continue
    names.add(entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length))
  }
  const registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim()
  const base = registry.endsWith('/') ? registry : `${registry}/`
  const agent = new Agent({ connections: 16 })
  const queue = [...names]
  const ready = []
  let wake
  let running = 0
  const fetchOne = async (name) => {
    const url = new URL(base + escapePackageName(name))
    const response = await agent.request({ origin: url.origin, path: url.pathname, method: 'GET' })
    if (response.statusCode !== 200) throw new Error(`${name}: HTTP ${response.statusCode}`)
    ready.push({ name, bytes: Buffer.from(await response.body.arrayBuffer()) })
  }
  const pump = () => {
    while (running < 16 && queue.length > 0) {
      running++
      fetchOne(queue.shift()).finally(() => {
        running--
        pump()
        wake?.()
      })
    }
  }
  pump()
  while (running > 0 || ready.length > 0) {
    if (ready.length === 0) await new Promise((resolve) => (wake = resolve))
    while (ready.length > 0) yield ready.shift()
  }
  await agent.close()
}

const args = process.argv.slice(2)
if (args.length === 0)
  throw new Error('usage: node bench/compare-reduce.mjs <package-lock.json> | --docs DIR')
let count = 0
let versions = 0
let bytes = 0
const different = []
const unread = []
for await (const document of documents(args)) {
  count++
  bytes += document.bytes.length
  const expected = reducePackument(JSON.parse(document.bytes.toString('utf8')), document.name)
  const chunks = []
  for (let offset = 0; offset < document.bytes.length; offset += CHUNK) {
    chunks.push(document.bytes.subarray(offset, offset + CHUNK))
  }
  const read = readDocument(chunks, document.bytes.length, document.name)
  // every version read, unusable ones left out, as reducePackument does
  const actual = read && readAll(read.packument)
  if (actual === undefined) unread.push(document.name)
  else if (!isDeepStrictEqual(actual, expected) || JSON.stringify(actual) !== JSON.stringify(expected)) {
    different.push(document.name)
  }
  versions += Object.keys(expected?.versions ?? {}).length
}
console.log(
  `${count} documents, ${versions} versions, ${Math.round(bytes / 1e6)} MB: ` +
    `${different.length} different, ${unread.length} not read`,
)
if (different.length > 0) console.log(`different: ${different.join(' ')}`)
if (unread.length > 0) console.log(`not read: ${unread.join(' ')}`)
process.exitCode = different.length > 0 || unread.length > 0 ? 1 : 0
