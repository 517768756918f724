import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderChart } from './_chart.js'
import { type RunMeta, renderReport } from './_report.js'
import type { BenchOptions, Contender, Phase, RunRecord } from './types.js'

/** Everything a run's results folder is made from. */
export interface Results {
  meta: RunMeta
  options: Pick<BenchOptions, 'pms' | 'phases' | 'rounds' | 'variants' | 'fixture'>
  contenders: readonly Contender[]
  runs: readonly RunRecord[]
  isAvailable: (contender: Contender, phase: Phase) => boolean
}

/** File names inside a run's results folder. */
export const RESULT_FILES = { json: 'results.json', markdown: 'results.md', chart: 'results.svg' } as const

/**
 * Writes results.json (every run), results.md (the tables) and results.svg (the chart of the same
 * records) into `runDir`, and returns the tables' text.
 */
export function writeResults(runDir: string, results: Results): string {
  const { meta, options, contenders, runs, isAvailable } = results
  const recorded = {
    meta,
    options: {
      pms: options.pms,
      phases: options.phases,
      rounds: options.rounds,
      variants: options.variants,
      fixture: options.fixture.dir,
    },
    runs,
  }
  const report = renderReport(meta, contenders, runs, isAvailable)
  writeFileSync(join(runDir, RESULT_FILES.json), `${JSON.stringify(recorded, null, 2)}\n`)
  writeFileSync(join(runDir, RESULT_FILES.markdown), report)
  writeFileSync(join(runDir, RESULT_FILES.chart), renderChart(meta, contenders, runs, isAvailable))
  return report
}
