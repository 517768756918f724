// The same question as packuments.mjs, asked by the real resolver: @tote/resolver resolves a
// fixture (cold, no cache) over this client with each number of connections. Needs both packages
// built:
//
//   (cd packages/resolver && npx tsc -p tsconfig.build.json); (cd packages/registry-client && npx tsc -p tsconfig.build.json)
//   node bench/resolve.mjs <fixture folder> [--reps 3] [--connections 64,128]
//     [--builds before=<copy of an older dist>,after=dist] [--resolver <resolver dist>]
//
// `--builds` compares builds of this package (a copy of an older `dist`, next to a `node_modules`
// that links to this package's), interleaved with the connection counts; `--resolver` pins the
// resolver build. Prints the median wall time, process CPU and main-thread CPU.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const args = process.argv.slice(2)

function mainThreadCpuMs() {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

async function child(fixture, connections, clientDist, resolverDist) {
  const { createRegistryClient } = await import(pathToFileURL(join(clientDist, 'index.js')).href)
  const { createResolver } = await import(pathToFileURL(join(resolverDist, 'index.js')).href)
  const registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim()
  const project = JSON.parse(readFileSync(join(fixture, 'package.json'), 'utf8'))
  const npmrc = join(fixture, '.npmrc')
  const legacyPeerDeps = existsSync(npmrc) && /legacy-peer-deps\s*=\s*true/.test(readFileSync(npmrc, 'utf8'))
  // As the CLI does: the resolver of the machines measured drops simultaneous lookups.
  const client = createRegistryClient({ registry, connections, lookupHostsOnce: true })
  const cpuBefore = process.cpuUsage()
  const mainBefore = mainThreadCpuMs()
  const started = performance.now()
  const result = await createResolver(client, { legacyPeerDeps }).resolve(project)
  const wallMs = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  const mainCpuMs = mainThreadCpuMs() - mainBefore
  await client.close()
  process.stdout.write(
    JSON.stringify({
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      mainCpuMs,
      packuments: result.stats.packuments,
    }),
  )
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

if (args[0] === '--child') {
  await child(args[1], Number(args[2]), args[3], args[4])
} else {
  const option = (name) => {
    const at = args.indexOf(name)
    return at === -1 ? undefined : args[at + 1]
  }
  const values = new Set(['--reps', '--connections', '--builds', '--resolver'].map(option))
  const fixture = args.find((arg) => !arg.startsWith('--') && !values.has(arg))
  if (fixture === undefined) throw new Error('usage: node bench/resolve.mjs <fixture folder> [options]')
  const reps = Number(option('--reps') ?? 3)
  const modes = (option('--connections') ?? '64,128').split(',')
  const here = import.meta.dirname
  const builds = (option('--builds') ?? `this=${join(here, '../dist')}`).split(',').map((build) => {
    const [label, dir] = build.split('=')
    return { label, dir: resolve(dir) }
  })
  const resolverDist = resolve(option('--resolver') ?? join(here, '../../resolver/dist'))
  const runs = new Map()
  for (const mode of modes) for (const { label } of builds) runs.set(`${mode} ${label}`, [])
  for (let rep = 0; rep < reps; rep++) {
    for (const mode of modes) {
      for (const { label, dir } of builds) {
        const out = execFileSync(
          process.execPath,
          [import.meta.filename, '--child', fixture, mode, dir, resolverDist],
          { encoding: 'utf8' },
        )
        const run = JSON.parse(out)
        runs.get(`${mode} ${label}`).push(run)
        process.stderr.write(`${mode} ${label} rep ${rep + 1}: ${JSON.stringify(run)}\n`)
      }
    }
  }
  console.log(`resolve ${fixture}, median of ${reps}`)
  console.log('| build | connections | wall ms | process CPU ms | main thread CPU ms |')
  console.log('| --- | ---: | ---: | ---: | ---: |')
  for (const [key, list] of runs) {
    const [connections, label] = key.split(' ')
    const cell = (name) => Math.round(median(list.map((run) => run[name])))
    console.log(`| ${label} | ${connections} | ${cell('wallMs')} | ${cell('cpuMs')} | ${cell('mainCpuMs')} |`)
  }
}
