// Several processes share one cache: concurrent adds, and a process killed in the middle of one.
import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readFileSync, utimesSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createContentCache } from '../src/index.js'
import { sri, tempDir } from './_helpers.js'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
/** What test/fixtures/add-child.ts adds its entry for. */
const childPackage = { name: 'child', version: '1.0.0' }

interface Child {
  process: ChildProcess
  /** Resolves when the child printed `line`. */
  said(line: string): Promise<void>
  /** Resolves to the child's exit code and last line of output. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; last: string }>
}

function addInChild(cacheDir: string, integrity: string, mode: 'race' | 'hang'): Child {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'test/fixtures/add-child.ts', cacheDir, integrity, mode],
    { cwd: packageDir, stdio: ['pipe', 'pipe', 'inherit'] },
  )
  let output = ''
  const waiting: { line: string; resolve: () => void }[] = []
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString()
    for (const wait of waiting) if (output.split('\n').includes(wait.line)) wait.resolve()
  })
  return {
    process: child,
    said: (line) => new Promise((resolve) => waiting.push({ line, resolve })),
    done: new Promise((resolve) =>
      child.on('exit', (code, signal) =>
        resolve({ code, signal, last: output.trim().split('\n').at(-1) ?? '' }),
      ),
    ),
  }
}

describe('a cache shared between processes', () => {
  it('two processes adding the same integrity at once both succeed and leave one whole entry', async () => {
    const dir = tempDir()
    const integrity = sri('raced')
    const children = [addInChild(dir, integrity, 'race'), addInChild(dir, integrity, 'race')]
    // Both are halfway through writing their own staging copy before either may finish.
    await Promise.all(children.map((child) => child.said('writing')))
    expect(readdirSync(join(dir, 'tmp'))).toHaveLength(2)
    for (const child of children) child.process.stdin!.write('go\n')
    const results = await Promise.all(children.map((child) => child.done))

    expect(results.map((result) => result.code)).toEqual([0, 0])
    const reports = results.map(
      (result) => JSON.parse(result.last) as { pid: number; dir: string; files: number },
    )
    const cache = createContentCache({ dir })
    const found = await cache.lookup(integrity, childPackage)
    const entry = found.status === 'found' ? found.entry : undefined
    expect(entry).toBeDefined()
    expect(reports.map((report) => report.dir)).toEqual([entry!.dir, entry!.dir])
    expect(reports.map((report) => report.files)).toEqual([51, 51])
    // One process's copy won the rename; the other discarded its own.
    const winner = Number(readFileSync(join(entry!.dir, 'writer.txt'), 'utf8'))
    expect(reports.map((report) => report.pid)).toContain(winner)
    expect(readdirSync(entry!.dir)).toHaveLength(51)
    expect(readdirSync(join(dir, 'tmp'))).toEqual([])
  }, 60_000)

  it('a process killed (kill -9) while writing leaves no entry; a new add completes it', async () => {
    const dir = tempDir()
    const integrity = sri('killed')
    const child = addInChild(dir, integrity, 'hang')
    await child.said('writing')
    child.process.kill('SIGKILL')
    expect((await child.done).signal).toBe('SIGKILL')

    const cache = createContentCache({ dir })
    expect(await cache.lookup(integrity, childPackage)).toEqual({ status: 'missing' })
    expect(cache.lookupSync(integrity, childPackage)).toEqual({ status: 'missing' })
    const [leftover] = readdirSync(join(dir, 'tmp'))
    expect(readdirSync(join(dir, 'tmp', leftover!, 'package')).length).toBeGreaterThan(0)

    const rerun = addInChild(dir, integrity, 'race')
    await rerun.said('writing')
    rerun.process.stdin!.write('go\n')
    expect((await rerun.done).code).toBe(0)
    const found = await cache.lookup(integrity, childPackage)
    expect(found.status === 'found' && found.entry.files).toHaveLength(51)

    // The killed process's staging folder is still there until cleanStaging removes it: its
    // process is gone, and once it is a minute old (two, here) it goes, without waiting the hour.
    expect(readdirSync(join(dir, 'tmp'))).toEqual([leftover])
    expect(await cache.cleanStaging()).toBe(0)
    const twoMinutesAgo = new Date(Date.now() - 2 * 60_000)
    utimesSync(join(dir, 'tmp', leftover!), twoMinutesAgo, twoMinutesAgo)
    expect(await cache.cleanStaging()).toBe(1)
    expect(readdirSync(join(dir, 'tmp'))).toEqual([])
  }, 60_000)
})
