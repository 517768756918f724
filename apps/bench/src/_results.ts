import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderChart } from './_chart.js'
import { type RunMeta, renderReport } from './_report.js'
import { buildContenders } from './_schedule.js'
import type { BenchOptions, Contender, Phase, RunRecord } from './types.js'

/** The options as results.json records them: the fixture by its folder. */
export type RecordedOptions = Pick<BenchOptions, 'pms' | 'phases' | 'rounds' | 'variants'> & {
  fixture: string
  /** `--trust` (absent in results written before it existed). */
  trust?: BenchOptions['trust']
}

/** Everything a run's results folder is made from. */
export interface Results {
  meta: RunMeta
  options: RecordedOptions
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
  const recorded = { meta, options, runs }
  const report = renderReport(meta, contenders, runs, isAvailable)
  writeFileSync(join(runDir, RESULT_FILES.json), `${JSON.stringify(recorded, null, 2)}\n`)
  writeFileSync(join(runDir, RESULT_FILES.markdown), report)
  writeFileSync(join(runDir, RESULT_FILES.chart), renderChart(meta, contenders, runs, isAvailable))
  return report
}

/**
 * Writes results.md and results.svg again from the results.json in `runDir` (after pm-bench's
 * rendering changed, say) and returns the tables' text. A row is available in a phase when it has
 * runs there (pm-bench schedules no run where it is not); the reference row is there when it ran.
 */
export function renderSaved(runDir: string): string {
  const saved = JSON.parse(readFileSync(join(runDir, RESULT_FILES.json), 'utf8')) as {
    meta: RunMeta
    options: RecordedOptions
    runs: RunRecord[]
  }
  const { meta, options, runs } = saved
  const contenders = buildContenders(options.pms, options.variants, {
    reference: runs.some((run) => run.pm === 'node'),
  })
  const isAvailable = (contender: Contender, phase: Phase) =>
    runs.some((run) => run.contender === contender.key && run.phase === phase)
  return writeResults(runDir, { meta, options, contenders, runs, isAvailable })
}
