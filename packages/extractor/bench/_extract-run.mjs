// One cold extraction run for bench/extract.ts, in its own plain Node.js process as in a real
// install: loads the sample, then times createExtractor → every extractSync, and prints
// { wall, cpu } as JSON. (On the calling thread: worker threads are the scheduler's.) Plain JavaScript on the built package (`pnpm build` first), so that no
// TypeScript loader runs in the process while it is timed.
// With `pipeline`, each tarball is also read from disk (async, 16 at a time, standing in for the
// download) and its sha512 checked on the main thread before it is extracted, as the installer does.
// With a dist folder, runs that build instead of ../dist (the bench's "before" modes).
//   node bench/_extract-run.mjs <folder> <dest> <all | pipeline> [dist]
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const [folder, dest, pipeline, dist] = process.argv.slice(2)
const { createExtractor } = await import(
  dist ? pathToFileURL(join(resolve(dist), 'index.js')).href : '../dist/index.js'
)
const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'))
const tarballs = manifest.map((entry) => new Uint8Array(readFileSync(entry.file)))

const cpuBefore = process.cpuUsage()
const start = performance.now()
const extractor = createExtractor()
if (pipeline === 'pipeline') {
  let next = 0
  const download = async () => {
    while (next < manifest.length) {
      const entry = manifest[next++]
      const tarball = new Uint8Array(await readFile(entry.file))
      const digest = `sha512-${createHash('sha512').update(tarball).digest('base64')}`
      if (digest !== entry.integrity) throw new Error(`${entry.id}: integrity mismatch`)
      extractor.extractSync(tarball, join(dest, entry.id))
    }
  }
  await Promise.all(Array.from({ length: 16 }, download))
} else {
  for (const [i, entry] of manifest.entries()) extractor.extractSync(tarballs[i], join(dest, entry.id))
}
const wall = performance.now() - start
const cpu = process.cpuUsage(cpuBefore)
process.stdout.write(`${JSON.stringify({ wall, cpu: (cpu.user + cpu.system) / 1000 })}\n`)
