// Measures gunzip variants and whole extractions of the sample from fetch-tarballs.ts. Not a test.
//   pnpm build && node --import tsx bench/extract.ts [folder] [rounds]
// Wall and CPU (user + system of the whole process, worker threads included) per run; modes are
// rotated between rounds so that a noisy neighbour does not always hit the same one.
import { mkdirSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gunzip } from 'node:zlib'
import { parseTar } from 'nanotar'
import { extractTarballSync } from '../src/_extract.js'
import { type GunzipStrategy, tarBytes } from '../src/_gunzip.js'
import { readTar } from '../src/_tar.js'
import { createExtractor } from '../src/index.js'
import type { SampleTarball } from './fetch-tarballs.js'

const [folder = '/tmp/tote-extractor-bench', roundsArgument = '3'] = process.argv.slice(2)
const rounds = Number(roundsArgument)
const workerFile = new URL('../dist/worker.js', import.meta.url) // run `pnpm build` first
const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as SampleTarball[]
const tarballs = manifest.map((entry) => new Uint8Array(readFileSync(entry.file)))
const tars = tarballs.map((tarball) => tarBytes(tarball))
// A new output folder each time: deleting the last one here would slow file creation for minutes.
const out = join(folder, `out-${Date.now()}`)
mkdirSync(out)

interface Run {
  wall: number
  cpu: number
}

async function measure(body: () => unknown): Promise<Run> {
  const cpuBefore = process.cpuUsage()
  const start = performance.now()
  await body()
  const wall = performance.now() - start
  const cpu = process.cpuUsage(cpuBefore)
  return { wall, cpu: (cpu.user + cpu.system) / 1000 }
}

/** Runs every mode once per round, in a rotated order, and prints min / median / max of each. */
async function compare(title: string, modes: Record<string, () => unknown>): Promise<void> {
  const names = Object.keys(modes)
  const runs = new Map<string, Run[]>(names.map((name) => [name, []]))
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]!
      runs.get(name)!.push(await measure(modes[name]!))
    }
  }
  const spread = (values: number[]): string => {
    const sorted = [...values].sort((a, b) => a - b)
    const median = sorted[Math.floor(sorted.length / 2)]!
    return `${median.toFixed(0)} (${sorted[0]!.toFixed(0)}–${sorted.at(-1)!.toFixed(0)})`
  }
  process.stdout.write(
    `\n### ${title}\n\n| mode | wall ms, median (min–max) | CPU ms, median (min–max) |\n| --- | --- | --- |\n`,
  )
  for (const [name, measured] of runs) {
    const walls = measured.map((run) => run.wall)
    const cpus = measured.map((run) => run.cpu)
    process.stdout.write(`| ${name} | ${spread(walls)} | ${spread(cpus)} |\n`)
  }
}

function gunzipAll(strategy: GunzipStrategy): void {
  for (const tarball of tarballs) tarBytes(tarball, undefined, strategy)
}

async function decompressionStream(tarball: Uint8Array): Promise<ArrayBuffer> {
  const stream = new Blob([tarball]).stream().pipeThrough(new DecompressionStream('gzip'))
  return new Response(stream).arrayBuffer()
}

let runCount = 0
async function extractAll(workers: number | false): Promise<void> {
  const dest = join(out, String(runCount++))
  const copies = tarballs.map((tarball) => tarball.slice()) // transferred to workers, so a copy each run
  const extractor = createExtractor({ workers, workerFile })
  await Promise.all(manifest.map((entry, i) => extractor.extract(copies[i]!, join(dest, entry.id))))
  await extractor.close()
}

const compressed = tarballs.reduce((sum, tarball) => sum + tarball.length, 0)
const unpacked = tars.reduce((sum, tar) => sum + tar.length, 0)
const files = manifest.reduce(
  (sum, entry, i) => sum + extractTarballSync(tarballs[i]!, join(out, 'count', entry.id)).files.length,
  0,
)
process.stdout.write(
  `${manifest.length} tarballs, ${(compressed / 1e6).toFixed(1)} MB gzipped, ${(unpacked / 1e6).toFixed(1)} MB of tar, ` +
    `${files} files; ${availableParallelism()} CPUs; Node ${process.version}; ${rounds} rounds\n`,
)

await compare('gunzip only (all tarballs, in memory)', {
  'gunzipSync, default 16 KiB chunks': () => gunzipAll('default'),
  'gunzipSync, 1 MiB chunks': () => gunzipAll('chunk-1m'),
  'gunzipSync, one chunk sized from the gzip trailer': () => gunzipAll('size-hint'),
  'zlib.gunzip async (libuv pool), all at once': () => Promise.all(tarballs.map((t) => promisify(gunzip)(t))),
  'DecompressionStream (web streams), all at once': () => Promise.all(tarballs.map(decompressionStream)),
})

await compare('tar parsing only (all tars, in memory)', {
  'readTar (ours)': () => {
    for (const tar of tars) readTar(tar)
  },
  'nanotar parseTar': () => {
    for (const tar of tars) parseTar(tar)
  },
})

await compare('whole extraction into a fresh folder (pool start and close included)', {
  'main thread (workers: false)': () => extractAll(false),
  'tinypool, 1 worker': () => extractAll(1),
  'tinypool, 2 workers': () => extractAll(2),
})
process.stdout.write(`\nOutput left in ${out} (delete it when the machine is idle).\n`)
