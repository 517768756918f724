// Downloads a sample of real tarballs once, for bench/extract.ts. Not a test.
//   node --conditions=source --import tsx bench/fetch-tarballs.ts <package-lock.json> [count] [folder]
// The registry comes from npm configuration; each tarball is checked against the lockfile integrity.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface SampleTarball {
  id: string
  file: string
  integrity: string
}

const [lockfilePath, countArgument = '300', folder = '/tmp/tote-extractor-bench'] = process.argv.slice(2)
if (lockfilePath === undefined)
  throw new Error('usage: fetch-tarballs.ts <package-lock.json> [count] [folder]')
const registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' })
  .trim()
  .replace(/\/?$/, '/')
const lockfile = JSON.parse(readFileSync(lockfilePath, 'utf8')) as {
  packages: Record<
    string,
    { name?: string; version?: string; integrity?: string; link?: boolean; os?: string[]; cpu?: string[] }
  >
}

/** npm's os/cpu check: skip packages an install on this machine would skip (other platforms' binaries). */
function fitsThisMachine(allowed: string[] | undefined, actual: string): boolean {
  if (!allowed || allowed.length === 0) return true
  const blocked = allowed.filter((value) => value.startsWith('!')).map((value) => value.slice(1))
  if (blocked.includes(actual)) return false
  const wanted = allowed.filter((value) => !value.startsWith('!'))
  return wanted.length === 0 || wanted.includes(actual)
}

// Every distinct name@version with an integrity, then an even spread of `count` of them.
const seen = new Map<string, { name: string; version: string; integrity: string }>()
for (const [path, entry] of Object.entries(lockfile.packages)) {
  if (path === '' || entry.link || !entry.version || !entry.integrity?.startsWith('sha512-')) continue
  if (!fitsThisMachine(entry.os, process.platform) || !fitsThisMachine(entry.cpu, process.arch)) continue
  const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)
  seen.set(`${name}@${entry.version}`, { name, version: entry.version, integrity: entry.integrity })
}
const all = [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : 1))
const count = Math.min(Number(countArgument), all.length)
const sample = Array.from({ length: count }, (_, i) => all[Math.floor((i * all.length) / count)]!)

mkdirSync(join(folder, 'tarballs'), { recursive: true })
const manifest: SampleTarball[] = []
let next = 0
async function worker(): Promise<void> {
  while (next < sample.length) {
    const { name, version, integrity } = sample[next++]!
    const file = join(folder, 'tarballs', `${name.replace('/', '+')}-${version}.tgz`)
    if (!existsSync(file)) {
      const url = `${registry}${name}/-/${name.split('/').pop()}-${version}.tgz`
      const response = await fetch(url)
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`)
      const bytes = new Uint8Array(await response.arrayBuffer())
      const digest = `sha512-${createHash('sha512').update(bytes).digest('base64')}`
      if (digest !== integrity) throw new Error(`${name}@${version}: integrity mismatch`)
      writeFileSync(file, bytes)
    }
    manifest.push({ id: `${name}@${version}`, file, integrity })
  }
}
await Promise.all(Array.from({ length: 16 }, worker))
manifest.sort((a, b) => (a.id < b.id ? -1 : 1))
writeFileSync(join(folder, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
process.stdout.write(`${manifest.length} tarballs in ${join(folder, 'tarballs')}\n`)
