#!/usr/bin/env node
// The p4 floor on this machine: how fast a bare Node program can make a node_modules tree out of
// hard links, with nothing else to do (no lockfile, no cache checks, no bins). Issue 20 item 1
// asks for it beside tote's p4, with `cp -al` of the same tree.
//
//   node apps/bench/scripts/link-floor.mjs <installed node_modules> <new folder> [threads]
//
// The source tree is walked first (not timed); then the top-level packages (a scope's packages
// one by one), largest first, go to the worker thread with the least work so far, which makes
// their folders and links their files.
// Prints the wall time and the process's CPU (all threads) of the timed part, as JSON.
import { linkSync, mkdirSync, readdirSync } from 'node:fs'
import { cpus } from 'node:os'
import { join, resolve } from 'node:path'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'

if (isMainThread) {
  const [sourceArg, targetArg, threadsArg] = process.argv.slice(2)
  if (!sourceArg || !targetArg) {
    process.stderr.write('usage: link-floor.mjs <installed node_modules> <new folder> [threads]\n')
    process.exit(2)
  }
  const source = resolve(sourceArg)
  const target = resolve(targetArg)
  const threads = Number(threadsArg ?? Math.min(2, cpus().length))
  const jobs = topLevelPackages(source).map((relative) => walk(source, relative))
  const counts = { folders: 0, files: 0 }
  for (const job of jobs) {
    counts.folders += job.folders.length
    counts.files += job.files.length
  }
  const startCpu = process.cpuUsage()
  const start = performance.now()
  mkdirSync(target, { recursive: true })
  // Scope folders first, so that no two threads race to make one.
  for (const scope of new Set(
    jobs.map((job) => job.folders[0].split('/')[0]).filter((n) => n.startsWith('@')),
  )) {
    mkdirSync(join(target, scope))
  }
  const shares = Array.from({ length: threads }, () => [])
  const loads = shares.map(() => 0)
  // Largest package first, each to the thread with the fewest files so far.
  for (const job of [...jobs].sort((a, b) => b.files.length - a.files.length)) {
    const least = loads.indexOf(Math.min(...loads))
    shares[least].push(job)
    loads[least] += job.files.length + job.folders.length
  }
  await Promise.all(
    shares.map(
      (share) =>
        new Promise((done, fail) => {
          const worker = new Worker(new URL(import.meta.url), { workerData: { source, target, jobs: share } })
          worker.once('error', fail)
          worker.once('exit', (code) => (code === 0 ? done() : fail(new Error(`worker exit ${code}`))))
        }),
    ),
  )
  const cpu = process.cpuUsage(startCpu)
  process.stdout.write(
    `${JSON.stringify({
      threads,
      ...counts,
      wallSeconds: +((performance.now() - start) / 1000).toFixed(3),
      userSeconds: +(cpu.user / 1e6).toFixed(3),
      systemSeconds: +(cpu.system / 1e6).toFixed(3),
    })}\n`,
  )
} else {
  const { source, target, jobs } = workerData
  for (const job of jobs) {
    for (const folder of job.folders) mkdirSync(join(target, folder))
    for (const file of job.files) linkSync(join(source, file), join(target, file))
  }
  parentPort?.close()
}

/** `react`, `@types/node`, `.bin` left out (links, not files). */
function topLevelPackages(root) {
  const names = []
  for (const name of readdirSync(root)) {
    if (name.startsWith('.')) continue
    if (name.startsWith('@')) {
      for (const inner of readdirSync(join(root, name))) names.push(`${name}/${inner}`)
    } else names.push(name)
  }
  return names
}

/** A package's folders (parents first) and regular files, relative to the tree's root. */
function walk(root, relative) {
  const folders = []
  const files = []
  const stack = [relative]
  while (stack.length > 0) {
    const folder = stack.pop()
    folders.push(folder)
    for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
      const path = `${folder}/${entry.name}`
      if (entry.isDirectory()) stack.push(path)
      else if (entry.isFile()) files.push(path)
    }
  }
  return { folders, files }
}
