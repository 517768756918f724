// Measures getPackument over a real dependency closure, the way a resolver asks: start from the
// project's direct dependencies, and ask for each package's dependencies as soon as its packument
// arrives. Every configuration runs in a fresh process, configurations interleaved, `--reps` times.
//
//   cd packages/registry-client && npx tsc -p tsconfig.build.json
//   node bench/packuments.mjs <project>/package-lock.json [--reps 3] [--configs name,name]
//     [--builds before=<copy of an older dist>,after=dist]
//
// `--builds` compares builds of this package (a copy of an older `dist`, next to a `node_modules`
// that links to this package's), interleaved with the configurations.
// The lockfile gives the closure (npm install --package-lock-only --ignore-scripts on a copy of a
// project). The registry is the one npm is configured with (`npm config get registry`).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'

// `connections` is per origin.
const CONFIGS = {
  c24: { connections: 24 },
  c64: { connections: 64 },
  c128: { connections: 128 },
  'c128 cache-write': { connections: 128, cache: true },
}

/** name → names it depends on (any version), and the root's direct dependencies. */
function closureFromLockfile(lockfilePath) {
  const lock = JSON.parse(readFileSync(lockfilePath, 'utf8'))
  const edges = new Map()
  let roots = []
  for (const [path, entry] of Object.entries(lock.packages)) {
    const deps = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...Object.keys(entry.peerDependencies ?? {}),
    ]
    if (path === '') {
      roots = [...deps, ...Object.keys(entry.devDependencies ?? {})]
      continue
    }
    if (entry.link) continue
    const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)
    const set = edges.get(name) ?? new Set()
    for (const dep of deps) set.add(dep)
    edges.set(name, set)
  }
  return { edges: Object.fromEntries([...edges].map(([name, set]) => [name, [...set]])), roots }
}

async function child(configName, lockfilePath, clientDist) {
  const config = CONFIGS[configName]
  const { createRegistryClient } = await import(pathToFileURL(join(clientDist, 'index.js')).href)
  const { edges, roots } = closureFromLockfile(lockfilePath)
  const registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim()
  const cacheDir = config.cache ? mkdtempSync(join(tmpdir(), 'rc-bench-cache-')) : undefined
  let bytes = 0
  let requests = 0
  const client = createRegistryClient({
    registry,
    connections: config.connections,
    // As the CLI does: the resolver of the machines measured drops simultaneous lookups.
    lookupHostsOnce: true,
    cacheDir,
    onEvent: (event) => {
      if (event.type === 'request-end') {
        bytes += event.bytes
        requests++
      }
    },
  })
  const cpuBefore = process.cpuUsage()
  const mainCpuBefore = mainThreadCpuMs()
  const eluBefore = performance.eventLoopUtilization()
  const started = performance.now()
  const asked = new Set()
  let versions = 0
  const ask = (name) => {
    if (asked.has(name) || !(name in edges)) return undefined
    asked.add(name)
    return client.getPackument(name).then((packument) => {
      versions += packument.versions.keys().length
      return Promise.all((edges[name] ?? []).map(ask))
    })
  }
  await Promise.all(roots.map(ask))
  const fetchedMs = performance.now() - started
  await client.close()
  const closedMs = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  const mainCpuMs = mainThreadCpuMs() - mainCpuBefore
  const elu = performance.eventLoopUtilization(eluBefore)
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true })
  process.stdout.write(
    JSON.stringify({
      config: configName,
      packuments: asked.size,
      versions,
      requests,
      mb: bytes / 1e6,
      wallMs: fetchedMs,
      closeMs: closedMs - fetchedMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      mainCpuMs,
      mainBusyMs: elu.active,
    }),
  )
}

/** CPU ms of the main thread alone (Linux: /proc per-thread stats, 10 ms resolution). */
function mainThreadCpuMs() {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return Number.NaN
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

function parent(lockfilePath, reps, names, builds) {
  const results = new Map()
  for (const name of names) for (const { label } of builds) results.set(`${name}\t${label}`, [])
  for (let rep = 0; rep < reps; rep++) {
    for (const name of names) {
      for (const { label, dir } of builds) {
        const out = execFileSync(
          process.execPath,
          [import.meta.filename, '--child', name, lockfilePath, dir],
          { encoding: 'utf8', maxBuffer: 1 << 20 },
        )
        const run = JSON.parse(out)
        results.get(`${name}\t${label}`).push(run)
        process.stderr.write(`${name} ${label} rep ${rep + 1}: ${JSON.stringify(run)}\n`)
      }
    }
  }
  const first = [...results.values()][0][0]
  console.log(
    `${first.packuments} packuments, ${first.versions} versions, ${Math.round(first.mb)} MB; median of ${reps}`,
  )
  console.log(
    '| configuration | build | wall ms | process CPU ms | main thread CPU ms | main thread busy ms | close ms |',
  )
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |')
  for (const [key, runs] of results) {
    const [name, label] = key.split('\t')
    const cell = (field) => Math.round(median(runs.map((run) => run[field])))
    console.log(
      `| ${name} | ${label} | ${cell('wallMs')} | ${cell('cpuMs')} | ${cell('mainCpuMs')} | ${cell('mainBusyMs')} | ${cell('closeMs')} |`,
    )
  }
}

const args = process.argv.slice(2)
if (args[0] === '--child') {
  await child(args[1], args[2], args[3])
} else {
  const lockfilePath = args[0]
  if (!lockfilePath)
    throw new Error(
      'usage: node bench/packuments.mjs <package-lock.json> [--reps N] [--configs a,b] [--builds a=dir,b=dir]',
    )
  const option = (name) => {
    const at = args.indexOf(name)
    return at === -1 ? undefined : args[at + 1]
  }
  const reps = Number(option('--reps') ?? 3)
  const names = option('--configs')?.split(',') ?? Object.keys(CONFIGS)
  const builds = (option('--builds') ?? `this=${join(import.meta.dirname, '../dist')}`)
    .split(',')
    .map((build) => {
      const [label, dir] = build.split('=')
      return { label, dir: resolve(dir) }
    })
  parent(lockfilePath, reps, names, builds)
}
