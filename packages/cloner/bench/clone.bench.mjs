// Measures cloneSync on a synthetic content cache shaped like ant-design's install (~3,200
// packages, ~135k files): hard links, copies and `auto`, on the calling thread (worker threads are
// the scheduler's). Run with `pnpm bench` in packages/cloner (builds dist/ first). Not a unit test.
//
//   node bench/clone.bench.mjs [--reps 3] [--dir /tmp/tote-cloner-bench] [--cleanup]
//
// The cache is built once and reused by later runs. Every measurement clones into a fresh folder;
// nothing is deleted until the end (a big rm -rf slows file creation for minutes), and only with
// --cleanup.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createCloner } from '../dist/index.js'

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    dir: { type: 'string', default: '/tmp/tote-cloner-bench' },
    cleanup: { type: 'boolean', default: false },
  },
})
const reps = Number(values.reps)
const root = values.dir
const cacheDir = join(root, 'cache')
const runsDir = join(root, `runs-${Date.now()}`)

/** Deterministic PRNG (mulberry32), so every run measures the same cache. */
function random(seed) {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** ~3,200 packages with real packages' spread: most small, a few with hundreds or thousands of files. */
function buildCache() {
  const next = random(42)
  const between = (low, high) => low + Math.floor(next() * (high - low + 1))
  const text = Buffer.alloc(1 << 21)
  for (let i = 0; i < text.length; i++) text[i] = 32 + Math.floor(next() * 95)
  const packages = []
  let totalFiles = 0
  let totalBytes = 0
  for (let p = 0; p < 3200; p++) {
    const r = next()
    const count =
      r < 0.6
        ? between(3, 12)
        : r < 0.88
          ? between(13, 50)
          : r < 0.985
            ? between(51, 260)
            : between(261, 1400)
    const folders = ['']
    for (let d = 0; d < Math.ceil(count / 9); d++) {
      const parent = folders[between(0, folders.length - 1)]
      if (parent.split('/').length < 5)
        folders.push(`${parent}${['lib', 'es', 'dist', 'src', 'utils', 'locale'][d % 6]}${d}/`)
    }
    const dir = join(cacheDir, String(p))
    const files = []
    for (let f = 0; f < count; f++) {
      const path =
        f === 0
          ? 'package.json'
          : f === 1
            ? 'README.md'
            : f === 2
              ? 'LICENSE'
              : `${folders[f % folders.length]}file${f}.js`
      // Log-normal sizes: median ~1.8 kB, mean ~4 kB, a few files of hundreds of kB.
      const u = Math.max(next(), 1e-9)
      const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next())
      const size = Math.min(text.length, Math.round(Math.exp(7.5 + 1.25 * normal)))
      const mode = next() < 0.02 ? 0o755 : 0o644
      const file = join(dir, path)
      mkdirSync(join(file, '..'), { recursive: true })
      const start = between(0, text.length - size)
      writeFileSync(file, text.subarray(start, start + size))
      if (mode === 0o755) chmodSync(file, mode)
      files.push({ path, mode, size })
      totalBytes += size
    }
    totalFiles += count
    packages.push({ integrity: `sha512-bench${p}`, dir, files })
  }
  writeFileSync(join(cacheDir, 'index.json'), JSON.stringify(packages))
  return { packages, totalFiles, totalBytes }
}

function loadCache() {
  const indexFile = join(cacheDir, 'index.json')
  if (existsSync(indexFile)) {
    const packages = JSON.parse(readFileSync(indexFile, 'utf8'))
    let totalFiles = 0
    let totalBytes = 0
    for (const pkg of packages) {
      totalFiles += pkg.files.length
      for (const file of pkg.files) totalBytes += file.size
    }
    return { packages, totalFiles, totalBytes }
  }
  rmSync(cacheDir, { recursive: true, force: true })
  return buildCache()
}

/** Install paths like a real tree: a fifth scoped, a tenth nested under an earlier package. */
function jobsInto(project, packages) {
  return packages.map((source, i) => {
    let path = i % 5 === 0 ? `node_modules/@scope${i % 17}/pkg${i}` : `node_modules/pkg${i}`
    if (i % 10 === 3) path = `node_modules/pkg${i - 2}/${path}`
    return { source, destDir: join(project, path) }
  })
}

function measure(name, options, packages) {
  const project = join(runsDir, `${name}-${Math.random().toString(36).slice(2, 8)}`)
  const cloner = createCloner(options)
  const started = performance.now()
  for (const job of jobsInto(project, packages)) cloner.cloneSync(job.source, job.destDir)
  const ms = performance.now() - started
  return { ms, strategy: cloner.effectiveStrategy }
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]

const setupStarted = performance.now()
const { packages, totalFiles, totalBytes } = loadCache()
console.log(
  `cache: ${packages.length} packages, ${totalFiles} files, ${(totalBytes / 1e6).toFixed(0)} MB ` +
    `(ready in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s)`,
)

const configs = [
  ['hardlink', { strategy: 'hardlink' }],
  ['copy', { strategy: 'copy' }],
  ['default (auto)', {}],
]
const times = new Map(configs.map(([name]) => [name, []]))
let defaultStrategy
for (let rep = 0; rep < reps; rep++) {
  // Rotate the order so that no configuration always runs after the slow copies.
  for (let k = 0; k < configs.length; k++) {
    const [name, options] = configs[(k + rep) % configs.length]
    const { ms, strategy } = measure(name.replace(/\W+/g, '-'), options, packages)
    if (name === 'default (auto)') defaultStrategy = strategy
    times.get(name).push(ms)
    console.log(`  rep ${rep + 1}: ${name}: ${ms.toFixed(0)} ms (load ${loadavg()[0].toFixed(1)})`)
  }
}
console.log(`\nFull tree (${totalFiles} files), ${reps} runs each, ms:`)
console.log('| configuration | median | best | µs/file (median) | runs |\n|---|---:|---:|---:|---|')
for (const [name, list] of times) {
  const label = name === 'default (auto)' ? `${name} → ${defaultStrategy}` : name
  const runs = list.map((ms) => ms.toFixed(0)).join(', ')
  const perFile = ((median(list) * 1000) / totalFiles).toFixed(1)
  console.log(
    `| ${label} | ${median(list).toFixed(0)} | ${Math.min(...list).toFixed(0)} | ${perFile} | ${runs} |`,
  )
}

console.log(
  `\nload average at the end: ${loadavg()
    .map((n) => n.toFixed(1))
    .join(', ')} (2 cores)`,
)

if (values.cleanup) {
  rmSync(root, { recursive: true, force: true })
  console.log(`\nremoved ${root}`)
} else {
  console.log(`\nclone trees are in ${runsDir} (remove when done; --cleanup does it)`)
}
