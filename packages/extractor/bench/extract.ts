// Measures gunzip variants and whole extractions of the sample from fetch-tarballs.ts. Not a test.
//   pnpm build && node --import tsx bench/extract.ts [folder] [rounds] [phases: gunzip,parse,extract,pipeline] [builds]
// `builds`: other builds to compare, `label=dir,label=dir`: each dir a dist/ folder of another build,
// copied where it still resolves @tote/types (e.g. node_modules/.bench-before/dist); the extract and
// pipeline phases then run each of them too. Worker threads are the scheduler's (its README has
// how they were measured); this runs extractions on the calling thread.
// Wall and CPU (user + system of the whole process) per run; modes are
// rotated between rounds so that a noisy neighbour does not always hit the same one.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, statfsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gunzip, gunzipSync } from 'node:zlib'
import { parseTar } from 'nanotar'
import { inflateTarball } from '../src/_inflate.js'
import { readTar, TarReader } from '../src/_tar.js'
import type { SampleTarball } from './fetch-tarballs.js'

const [
  folder = '/tmp/tote-extractor-bench',
  roundsArgument = '3',
  phasesArgument = 'gunzip,parse,extract,pipeline',
  buildsArgument = '',
] = process.argv.slice(2)
const builds = buildsArgument
  .split(',')
  .filter(Boolean)
  .map((item) => item.split('=') as [string, string])
const rounds = Number(roundsArgument)
const phases = new Set(phasesArgument.split(','))
const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as SampleTarball[]
const tarballs = manifest.map((entry) => new Uint8Array(readFileSync(entry.file)))
const tars = tarballs.map((tarball) => gunzipSync(tarball))
// A new output folder each time: deleting the last one here would slow file creation for minutes.
const out = join(folder, `out-${Date.now()}`)
mkdirSync(out)

interface Run {
  wall: number
  cpu: number
}

/** Times `body` in this process, or takes the Run it returns when it measured itself elsewhere. */
async function measure(body: () => unknown): Promise<Run> {
  const cpuBefore = process.cpuUsage()
  const start = performance.now()
  const result = await body()
  if (typeof result === 'object' && result !== null && 'wall' in result && 'cpu' in result)
    return result as Run
  const wall = performance.now() - start
  const cpu = process.cpuUsage(cpuBefore)
  return { wall, cpu: (cpu.user + cpu.system) / 1000 }
}

/**
 * Runs every mode once per round, in a rotated order, and prints min / median / max of each, and the
 * median over rounds of its wall time divided by the first mode's in the same round (a paired
 * comparison, less hurt by load that comes and goes).
 */
async function compare(title: string, modes: Record<string, () => unknown>): Promise<void> {
  const names = Object.keys(modes)
  const runs = new Map<string, Run[]>(names.map((name) => [name, []]))
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]!
      runs.get(name)!.push(await measure(modes[name]!))
    }
  }
  const median = (values: number[]): number =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
  const spread = (values: number[]): string =>
    `${median(values).toFixed(0)} (${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)})`
  const baseline = runs.get(names[0]!)!
  process.stdout.write(
    `\n### ${title}\n\n| mode | wall ms, median (min–max) | CPU ms, median (min–max) | wall vs first, median of rounds |\n| --- | --- | --- | --- |\n`,
  )
  for (const [name, measured] of runs) {
    const walls = measured.map((run) => run.wall)
    const ratio = median(measured.map((run, round) => run.wall / baseline[round]!.wall))
    process.stdout.write(
      `| ${name} | ${spread(walls)} | ${spread(measured.map((run) => run.cpu))} | ${ratio.toFixed(2)} |\n`,
    )
  }
}

/** The gzip trailer's size, capped at 256 KiB: the chunk size the extractor gave gunzipSync before. */
function cappedChunk(gzip: Uint8Array): number {
  const n = gzip.length
  const size = (gzip[n - 4]! | (gzip[n - 3]! << 8) | (gzip[n - 2]! << 16) | (gzip[n - 1]! << 24)) >>> 0
  return Math.min(256 * 1024, Math.max(8 * 1024, size + 1))
}

function gunzipSyncAll(chunkSize?: number): void {
  for (const tarball of tarballs) gunzipSync(tarball, { chunkSize: chunkSize ?? cappedChunk(tarball) })
}

function handleAll(outputSize: number): void {
  for (const tarball of tarballs) inflateTarball(tarball, () => {}, { path: 'handle', outputSize })
}

const ignoreData = { entry: () => false, data: () => {}, entryEnd: () => {} }

/** Gunzip and read every entry header, as an extraction does, writing nothing. */
function gunzipAndRead(path: 'before' | 'handle'): void {
  for (const tarball of tarballs) {
    if (path === 'before') readTar(gunzipSync(tarball, { chunkSize: cappedChunk(tarball) }))
    else {
      const reader = new TarReader(ignoreData)
      inflateTarball(tarball, (chunk, length) => reader.write(chunk, 0, length), { path: 'handle' })
      reader.end()
    }
  }
}

async function decompressionStream(tarball: Uint8Array): Promise<ArrayBuffer> {
  const stream = new Blob([tarball]).stream().pipeThrough(new DecompressionStream('gzip'))
  return new Response(stream).arrayBuffer()
}

/** One whole extraction in a fresh process (cold code), as an install runs it. */
let runCount = 0
function extractInProcess(pipeline = false, dist?: string): Run {
  const dest = join(out, String(runCount++))
  const script = fileURLToPath(new URL('./_extract-run.mjs', import.meta.url))
  const args = [script, folder, dest, pipeline ? 'pipeline' : 'all', ...(dist ? [dist] : [])]
  const output = execFileSync(process.execPath, args, { encoding: 'utf8' })
  return JSON.parse(output) as Run
}

/** The modes of the extract and pipeline phases: this build, and the other `builds` when given. */
function extractModes(pipeline: boolean): Record<string, () => Run> {
  const modes: Record<string, () => Run> = { 'this build': () => extractInProcess(pipeline) }
  for (const [label, dist] of builds) modes[label] = () => extractInProcess(pipeline, dist)
  return modes
}

const compressed = tarballs.reduce((sum, tarball) => sum + tarball.length, 0)
const unpacked = tars.reduce((sum, tar) => sum + tar.length, 0)
// Regular-file entries, counted in memory (no disk): a duplicate entry counts twice (9,080 vs 9,079 written).
const files = tars.reduce(
  (sum, tar) => sum + readTar(tar).filter((entry) => entry.type === '0' || entry.type === '7').length,
  0,
)
process.stdout.write(
  `${manifest.length} tarballs, ${(compressed / 1e6).toFixed(1)} MB gzipped, ${(unpacked / 1e6).toFixed(1)} MB of tar, ` +
    `${files} files; ${availableParallelism()} CPUs; Node ${process.version}; ${rounds} rounds\n`,
)

if (phases.has('gunzip')) {
  await compare('gunzip only (all tarballs, in memory)', {
    'gunzipSync, trailer size capped at 256 KiB (before)': () => gunzipSyncAll(),
    'gunzipSync, default 16 KiB chunks': () => gunzipSyncAll(16 * 1024),
    'zlib handle, reused 16 KiB output': () => handleAll(16 * 1024),
    'zlib handle, reused 64 KiB output (default)': () => handleAll(64 * 1024),
    'zlib handle, reused 256 KiB output': () => handleAll(256 * 1024),
    'zlib handle, reused 1 MiB output': () => handleAll(1024 * 1024),
    'zlib.gunzip async (libuv pool), all at once': () =>
      Promise.all(tarballs.map((t) => promisify(gunzip)(t))),
    'DecompressionStream (web streams), all at once': () => Promise.all(tarballs.map(decompressionStream)),
  })
  await compare('gunzip + read every header, no writes (all tarballs, in memory)', {
    'gunzipSync (capped chunks) + whole-tar read (before)': () => gunzipAndRead('before'),
    'zlib handle into a reused 64 KiB buffer + streaming read': () => gunzipAndRead('handle'),
  })
}

if (phases.has('parse')) {
  await compare('tar parsing only (all tars, in memory)', {
    'readTar (ours)': () => {
      for (const tar of tars) readTar(tar)
    },
    'nanotar parseTar': () => {
      for (const tar of tars) parseTar(tar)
    },
  })
}

/**
 * Every extract and pipeline run leaves a full copy of the sample on disk (see `out` above), and the
 * disk is shared: refuse to start a series that would leave less than 10 GB free.
 */
function checkDiskSpace(): void {
  const runsPerPhase = rounds * Object.keys(extractModes(false)).length
  const runs = runsPerPhase * ((phases.has('extract') ? 1 : 0) + (phases.has('pipeline') ? 1 : 0))
  const perRun = unpacked + files * 4096 // file data, and up to a block of slack per file
  const { bavail, bsize } = statfsSync(out)
  const free = bavail * bsize
  const needed = runs * perRun + 10e9
  if (free < needed) {
    throw new Error(
      `${runs} runs need ~${((runs * perRun) / 1e9).toFixed(1)} GB in ${out}, and 10 GB must stay free for ` +
        `others; only ${(free / 1e9).toFixed(1)} GB are: delete old out-* folders (when the machine is idle) or run fewer rounds`,
    )
  }
}
if (phases.has('extract') || phases.has('pipeline')) checkDiskSpace()

if (phases.has('extract')) {
  await compare('whole extraction into a fresh folder, each run in a new process', extractModes(false))
}

if (phases.has('pipeline')) {
  await compare(
    'read (async, 16 at a time) + sha512 check on the main thread + extraction, each run in a new process',
    extractModes(true),
  )
}
process.stdout.write(`\nOutput left in ${out} (delete it when the machine is idle).\n`)
