import { execFile } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { threadId } from 'node:worker_threads'
import type { StageWarning } from '@tote/types'
import { isToteError } from '@tote/types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deserializeError, encodeJob } from '../src/_jobs.js'
import { createClonePool, splitByFileCount, spreadOverThreads } from '../src/_pool.js'
import type { CloneJob } from '../src/index.js'
import { createCloner } from '../src/index.js'
import { buildForWorkers } from './build-for-workers.js'
import { autoStrategyHere, cachePackage, inode, scratch, snapshot } from './helpers.js'

let built: string

beforeAll(() => {
  built = buildForWorkers()
  // Wraps the real worker to leave a trace of which thread ran which chunk.
  mkdirSync(join(built, 'markers'))
  writeFileSync(
    join(built, 'recording-worker.js'),
    [
      "import { writeFileSync } from 'node:fs'",
      "import { threadId } from 'node:worker_threads'",
      "import cloneChunk from './_worker.js'",
      'let chunk = 0',
      'export default function (task) {',
      '  const result = cloneChunk(task)',
      '  const marker = new URL("./markers/" + threadId + "-" + chunk++, import.meta.url)',
      '  writeFileSync(marker, String(task.jobs.length))',
      '  return result',
      '}',
    ].join('\n'),
  )
})

afterAll(() => rmSync(built, { recursive: true, force: true }))

/** Forty packages of different shapes, one nested under another, one that needs a private copy. */
function manyJobs(cache: string, project: string): CloneJob[] {
  const jobs: CloneJob[] = []
  for (let i = 0; i < 40; i++) {
    const files: Record<string, string | { content: string; mode: number }> = { 'package.json': `{"n":${i}}` }
    for (let f = 0; f < 3 + (i % 7) * 5; f++) files[`lib/d${f % 3}/f${f}.js`] = `// ${i}/${f}\n`.repeat(f + 1)
    if (i % 4 === 0) files['bin/run'] = { content: '#!/bin/sh\n', mode: 0o755 }
    const name = i % 5 === 0 ? `@scope/p${i}` : `p${i}`
    jobs.push({ source: cachePackage(cache, `p${i}`, files), destDir: join(project, 'node_modules', name) })
  }
  jobs.push({
    source: cachePackage(cache, 'nested', { 'package.json': '{}', 'x/y/z.js': 'z' }),
    destDir: join(project, 'node_modules', 'p1', 'node_modules', 'nested'),
  })
  jobs[7]!.privateCopy = true
  return jobs
}

/** Every file in the tree, and whether it shares its inode with the cache. */
function outcome(jobs: readonly CloneJob[], project: string) {
  const files = snapshot(join(project, 'node_modules'))
  const linked = jobs.flatMap((job) =>
    job.source.files.map((f) => inode(join(job.destDir, f.path)) === inode(join(job.source.dir, f.path))),
  )
  return { files, linked }
}

/** How many files must not share an inode: the private copy's, or all of them where `auto` reflinks. */
function privateOrAllFiles(jobs: readonly CloneJob[]): number {
  const counted = autoStrategyHere() === 'hardlink' ? jobs.filter((job) => job.privateCopy) : jobs
  return counted.reduce((sum, job) => sum + job.source.files.length, 0)
}

function retarget(jobs: readonly CloneJob[], from: string, to: string): CloneJob[] {
  return jobs.map((job) => ({ ...job, destDir: to + job.destDir.slice(from.length) }))
}

describe('cloneMany on worker threads', () => {
  it('gives the same result as one thread', async () => {
    const cache = scratch()
    const single = scratch()
    const jobs = manyJobs(cache, single)
    await createCloner({ workers: false }).cloneMany(jobs)

    const threaded = scratch()
    const warnings: StageWarning[] = []
    const cloner = createCloner({
      workers: 2,
      workerFile: join(built, '_worker.js'),
      onWarning: (w) => warnings.push(w),
    })
    const threadedJobs = retarget(jobs, single, threaded)
    await cloner.cloneMany(threadedJobs)
    await cloner.close()

    expect(warnings).toEqual([])
    expect(outcome(threadedJobs, threaded)).toEqual(outcome(jobs, single))
    expect(outcome(jobs, single).linked.filter((l) => !l).length).toBe(privateOrAllFiles(jobs))
  })

  it('runs chunks on other threads and brings their results and failures back', async () => {
    rmSync(join(built, 'markers'), { recursive: true, force: true })
    mkdirSync(join(built, 'markers'))
    const cache = scratch()
    const single = scratch()
    const jobs = manyJobs(cache, single)
    rmSync(join(jobs[30]!.source.dir, 'package.json'))
    const singleFailures: Error[] = []
    await createCloner({ workers: false })
      .cloneMany(jobs)
      .catch((e: Error) => singleFailures.push(e))

    const threaded = scratch()
    const threadedJobs = retarget(jobs, single, threaded)
    const pool = createClonePool(join(built, 'recording-worker.js'), 2)
    const failures: Error[] = []
    const clonedHere: unknown[] = []
    await spreadOverThreads({
      chunks: splitByFileCount(threadedJobs, 100),
      pool,
      threads: 2,
      helpHere: false,
      task: (chunk) => ({
        strategy: 'hardlink',
        state: { reflink: 'fails', hardlink: 'works' },
        jobs: chunk.map(encodeJob),
      }),
      absorb: (result) => failures.push(...result.failures.map(deserializeError)),
      cloneHere: (chunk) => clonedHere.push(chunk),
      onWorkerFailure: (error) => failures.push(error as Error),
    })
    await pool.close()

    expect(clonedHere).toEqual([])
    const markers = readdirSync(join(built, 'markers'))
    expect(markers.length).toBeGreaterThan(1)
    expect(markers.map((m) => Number(m.split('-')[0]))).not.toContain(threadId)
    const cloned = markers.reduce(
      (sum, m) => sum + Number(readFileSync(join(built, 'markers', m), 'utf8')),
      0,
    )
    expect(cloned).toBe(jobs.length)
    expect(outcome(threadedJobs.slice(31), threaded)).toEqual(outcome(jobs.slice(31), single))
    expect(failures).toHaveLength(1)
    const [failure] = failures
    expect(isToteError(failure) && failure.code).toBe('ECACHEDAMAGED')
    expect(isToteError(failure) && failure.details).toEqual({
      integrity: 'sha512-p30',
      file: 'package.json',
      destDir: threadedJobs[30]!.destDir,
    })
    expect(failure!.message).toBe(singleFailures[0]!.message.replace(single, threaded))
  })

  it('reports a damaged package as ECACHEDAMAGED, with workers too', async () => {
    const cache = scratch()
    const project = scratch()
    const jobs = manyJobs(cache, project)
    rmSync(join(jobs[30]!.source.dir, 'package.json'))
    const cloner = createCloner({ workers: 2, workerFile: join(built, '_worker.js') })
    const error = await cloner.cloneMany(jobs).catch((e: unknown) => e)
    await cloner.close()
    expect(isToteError(error) && error.code).toBe('ECACHEDAMAGED')
    expect(isToteError(error) && error.details).toMatchObject({
      integrity: 'sha512-p30',
      file: 'package.json',
    })
    expect(readFileSync(join(jobs[31]!.destDir, 'package.json'), 'utf8')).toBe('{"n":31}')
  })

  it('without its worker module (running from sources) warns and clones on this thread', async () => {
    const project = scratch()
    const jobs = manyJobs(scratch(), project)
    const warnings: StageWarning[] = []
    const cloner = createCloner({ workers: 2, onWarning: (w) => warnings.push(w) })
    await cloner.cloneMany(jobs)
    await cloner.close()
    expect(warnings.map((w) => w.code)).toEqual(['ECLONEWORKER'])
    expect(outcome(jobs, project).linked.filter((l) => !l).length).toBe(privateOrAllFiles(jobs))
  })

  it('clones on this thread when a worker cannot start, instead of hanging or crashing', async () => {
    writeFileSync(join(built, 'broken-worker.js'), "throw new Error('this worker cannot start')\n")
    const project = scratch()
    const jobs = manyJobs(scratch(), project)
    const cloner = createCloner({ workers: 2, workerFile: join(built, 'broken-worker.js') })
    await cloner.cloneMany(jobs)
    await cloner.close()
    const expected = scratch()
    const expectedJobs = retarget(jobs, project, expected)
    await createCloner({ workers: false }).cloneMany(expectedJobs)
    expect(outcome(jobs, project)).toEqual(outcome(expectedJobs, expected))

    // Without this thread's help, every chunk comes back here once the workers fail.
    const pool = createClonePool(join(built, 'broken-worker.js'), 2)
    const chunks = splitByFileCount(jobs, 100)
    const clonedHere: unknown[] = []
    const workerFailures: unknown[] = []
    await spreadOverThreads({
      chunks,
      pool,
      threads: 2,
      helpHere: false,
      task: (chunk) => ({
        strategy: 'hardlink',
        state: { reflink: 'fails', hardlink: 'works' },
        jobs: chunk.map(encodeJob),
      }),
      absorb: () => {},
      cloneHere: (chunk) => clonedHere.push(chunk),
      onWorkerFailure: (error) => workerFailures.push(error),
    })
    expect(pool.available()).toBe(false)
    await pool.close()
    expect(clonedHere).toEqual(chunks)
    expect(String(workerFailures[0])).toMatch(/cannot start/)
  })

  it('closes a pool whose workers fail to start without an uncaught error', async () => {
    // A CommonJS module fails sooner than an ES one: that makes the race below come up more often.
    writeFileSync(join(built, 'broken-worker.cjs'), "throw new Error('this worker cannot start')\n")
    // The failure raced close(): a worker's start-up error arriving while the pool was being
    // destroyed crashed the process. Many short-lived pools make the race come up.
    const script = [
      `import { createClonePool } from ${JSON.stringify(join(built, '_pool.js'))}`,
      'const uncaught = []',
      "process.on('uncaughtException', (error) => uncaught.push(String(error)))",
      'const failures = []',
      'for (let i = 0; i < 30; i++) {',
      `  const pool = createClonePool(${JSON.stringify(join(built, 'broken-worker.cjs'))}, 2)`,
      "  await pool.run({ strategy: 'copy', state: { reflink: 'fails', hardlink: 'fails' }, jobs: [] }).catch((e) => failures.push(String(e)))",
      '  await pool.close()',
      '}',
      'await new Promise((resolve) => setTimeout(resolve, 300))',
      'process.stdout.write(JSON.stringify({ uncaught, failures: failures.length, cannotStart: failures.every((f) => /cannot start/.test(f)) }))',
    ].join('\n')
    const scriptFile = join(scratch(), 'close-broken.mjs')
    writeFileSync(scriptFile, script)
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [scriptFile], (error, out) => (error ? reject(error) : resolve(out))),
    )
    expect(JSON.parse(stdout)).toEqual({ uncaught: [], failures: 30, cannotStart: true })
  })

  it('finds its worker next to the built module in plain Node', async () => {
    const project = scratch()
    const jobs = manyJobs(scratch(), project)
    const script = [
      `import { clonerWorkerUrl, createCloner } from ${JSON.stringify(join(built, 'index.js'))}`,
      `import { createClonePool } from ${JSON.stringify(join(built, '_pool.js'))}`,
      'const warnings = []',
      'const cloner = createCloner({ workers: 2, onWarning: (w) => warnings.push(w) })',
      'await cloner.cloneMany(JSON.parse(process.argv[2]))',
      'await cloner.close()',
      // The calling thread may have cloned everything itself: load the worker for certain.
      'const pool = createClonePool(clonerWorkerUrl(), 1)',
      "const ping = await pool.run({ strategy: 'copy', state: { reflink: 'fails', hardlink: 'fails' }, jobs: [] })",
      'await pool.close()',
      'const worker = clonerWorkerUrl().pathname',
      'process.stdout.write(JSON.stringify({ warnings, strategy: cloner.effectiveStrategy, worker, ping }))',
    ].join('\n')
    const scriptFile = join(scratch(), 'clone.mjs')
    writeFileSync(scriptFile, script)
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [scriptFile, JSON.stringify(jobs)], (error, out) =>
        error ? reject(error) : resolve(out),
      ),
    )
    expect(JSON.parse(stdout)).toEqual({
      warnings: [],
      strategy: autoStrategyHere(),
      worker: join(built, '_worker.js'),
      ping: { state: { reflink: 'fails', hardlink: 'fails' }, warnings: [], failures: [] },
    })
    const expected = scratch()
    const expectedJobs = retarget(jobs, project, expected)
    await createCloner({ workers: false }).cloneMany(expectedJobs)
    expect(outcome(jobs, project)).toEqual(outcome(expectedJobs, expected))
  })
})
