// The same question as packuments.mjs, asked by the real resolver: @tote/resolver resolves a
// fixture (cold, no cache) over this client in each mode. Needs both packages built:
//
//   (cd packages/resolver && npx tsc -p tsconfig.build.json); (cd packages/registry-client && npx tsc -p tsconfig.build.json)
//   node bench/resolve.mjs [/work/shared/fixtures/ant-design] [--reps 3] [--modes 0:24,2:24]
//
// A mode is workers:connections. Prints the median wall time, process CPU and main-thread CPU.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const args = process.argv.slice(2)

function mainThreadCpuMs() {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

async function child(fixture, workers, connections) {
  const { createRegistryClient } = await import('../dist/index.js')
  const { createResolver } = await import('../../resolver/dist/index.js')
  const registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim()
  const project = JSON.parse(readFileSync(join(fixture, 'package.json'), 'utf8'))
  const npmrc = join(fixture, '.npmrc')
  const legacyPeerDeps = existsSync(npmrc) && /legacy-peer-deps\s*=\s*true/.test(readFileSync(npmrc, 'utf8'))
  const client = createRegistryClient({ registry, workers, connections })
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
  await child(args[1], Number(args[2]), Number(args[3]))
} else {
  const fixture =
    args.find((arg) => !arg.startsWith('--') && !/^\d/.test(arg)) ?? '/work/shared/fixtures/ant-design'
  const repsAt = args.indexOf('--reps')
  const modesAt = args.indexOf('--modes')
  const reps = repsAt === -1 ? 3 : Number(args[repsAt + 1])
  const modes = (modesAt === -1 ? '0:16,0:24,1:24,2:16,2:24' : args[modesAt + 1]).split(',')
  const runs = new Map(modes.map((mode) => [mode, []]))
  for (let rep = 0; rep < reps; rep++) {
    for (const mode of modes) {
      const [workers, connections] = mode.split(':')
      const out = execFileSync(
        process.execPath,
        [import.meta.filename, '--child', fixture, workers, connections],
        {
          encoding: 'utf8',
        },
      )
      runs.get(mode).push(JSON.parse(out))
      process.stderr.write(`${mode} rep ${rep + 1}: ${Math.round(JSON.parse(out).wallMs)} ms\n`)
    }
  }
  console.log(`resolve ${fixture}, median of ${reps}`)
  console.log('| workers | connections | wall ms | process CPU ms | main thread CPU ms |')
  console.log('| ---: | ---: | ---: | ---: | ---: |')
  for (const [mode, list] of runs) {
    const [workers, connections] = mode.split(':')
    const cell = (key) => Math.round(median(list.map((run) => run[key])))
    console.log(
      `| ${workers} | ${connections} | ${cell('wallMs')} | ${cell('cpuMs')} | ${cell('mainCpuMs')} |`,
    )
  }
}
