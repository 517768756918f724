import { describe, expect, it } from 'vitest'
import { autoWorkerCount, splitByFileCount } from '../src/_pool.js'
import type { CloneJob } from '../src/index.js'

function job(files: number): CloneJob {
  const list = Array.from({ length: files }, (_, i) => ({ path: `f${i}`, mode: 0o644, size: 1 }))
  return { source: { integrity: `sha512-${files}`, dir: '/cache', files: list }, destDir: `/p/${files}` }
}

describe('worker policy', () => {
  it('helps hard links with threads only where cores are idle', () => {
    expect(autoWorkerCount('hardlink', 2, 0.2)).toBe(1)
    expect(autoWorkerCount('hardlink', 2, 1.5)).toBe(0)
    expect(autoWorkerCount('hardlink', 2, 9.5)).toBe(0)
    expect(autoWorkerCount('reflink', 4, 2.4)).toBe(1)
    expect(autoWorkerCount(undefined, 16, 0.5)).toBe(2)
  })

  it('gives copies one helper even on busy cores', () => {
    expect(autoWorkerCount('copy', 2, 9.5)).toBe(1)
    expect(autoWorkerCount('copy', 2, 0.1)).toBe(1)
    expect(autoWorkerCount('copy', 8, 1)).toBe(2)
    expect(autoWorkerCount('copy', 1, 0)).toBe(0)
  })

  it('splits jobs in order into chunks of about the asked file count, never splitting a package', () => {
    const jobs = [job(300), job(500), job(900), job(50), job(2000), job(10)]
    const chunks = splitByFileCount(jobs, 1000)
    expect(chunks.map((chunk) => chunk.map((j) => j.source.files.length))).toEqual([
      [300, 500, 900],
      [50, 2000],
      [10],
    ])
    expect(chunks.flat()).toEqual(jobs)
  })
})
