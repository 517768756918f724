import { summarize } from './_stats.js'
import type { Contender, Phase, RunRecord } from './types.js'

/** What the header of results.md and of the printed output says about the run. */
export interface RunMeta {
  date: string
  machine: { cores: number; cpuModel: string; ramGb: number; node: string; os: string; loadAverage: number[] }
  fixture: string
  /** `npm` → `11.19.1`; tote's own version, or why it cannot run. */
  versions: Record<string, string>
  rounds: number
  phases: Phase[]
  /** How runs were isolated (hosts pinning), and anything else a reader must know. */
  notes: string[]
}

export const TABLE_HEADER = [
  'PM',
  'wall ±σ',
  'user',
  'sys',
  'RSS',
  'vCtx',
  'iCtx',
  'node_modules',
  '×fastest',
]

/** A row's figures: means over a contender's recorded runs of one phase. */
export interface RowFigures {
  key: string
  state: 'ok' | 'fail' | 'n/a' | 'none'
  failed: number
  total: number
  wallMean: number
  wallStddev: number
  user: number
  sys: number
  rssMb: number
  vctx: number
  ictx: number
  nodeModulesFiles: number | undefined
  nodeModulesMb: number | undefined
}

export function rowFigures(
  contender: Contender,
  phase: Phase,
  runs: readonly RunRecord[],
  available: boolean,
): RowFigures {
  const mine = runs.filter((run) => run.contender === contender.key && run.phase === phase && !run.warmup)
  const failed = mine.filter((run) => run.status === 'fail').length
  const timed = mine.flatMap((run) => (run.time ? [run.time] : []))
  const installed = mine.flatMap(({ after }) =>
    after?.nodeModulesFiles === undefined || after.nodeModulesBytes === undefined
      ? []
      : [{ files: after.nodeModulesFiles, megabytes: after.nodeModulesBytes / 1024 ** 2 }],
  )
  const state = !available ? 'n/a' : mine.length === 0 ? 'none' : failed > 0 ? 'fail' : 'ok'
  const wall = summarize(timed.map((time) => time.wallSeconds))
  const average = (values: number[]) => summarize(values).mean
  return {
    key: contender.key,
    state,
    failed,
    total: mine.length,
    wallMean: wall.mean,
    wallStddev: wall.stddev,
    user: average(timed.map((time) => time.userSeconds)),
    sys: average(timed.map((time) => time.sysSeconds)),
    rssMb: average(timed.map((time) => time.maxRssKb / 1024)),
    vctx: average(timed.map((time) => time.voluntaryCtx)),
    ictx: average(timed.map((time) => time.involuntaryCtx)),
    nodeModulesFiles: installed.length === 0 ? undefined : average(installed.map((entry) => entry.files)),
    nodeModulesMb: installed.length === 0 ? undefined : average(installed.map((entry) => entry.megabytes)),
  }
}

const DASH = '—'

/** A markdown table for one phase; failed and unavailable rows never enter the ×fastest baseline. */
export function renderPhaseTable(phase: Phase, rows: readonly RowFigures[]): string {
  const fastest = Math.min(...rows.filter((row) => row.state === 'ok').map((row) => row.wallMean))
  const lines = [
    `### ${phase}`,
    '',
    `| ${TABLE_HEADER.join(' | ')} |`,
    `|${TABLE_HEADER.map(() => ' --- ').join('|')}|`,
  ]
  for (const row of rows) lines.push(`| ${renderCells(row, fastest).join(' | ')} |`)
  return lines.join('\n')
}

function renderCells(row: RowFigures, fastest: number): string[] {
  if (row.state === 'n/a') return [row.key, 'n/a', ...Array(TABLE_HEADER.length - 2).fill(DASH)]
  if (row.state === 'none') return [row.key, 'not run', ...Array(TABLE_HEADER.length - 2).fill(DASH)]
  if (row.state === 'fail') {
    return [row.key, `fail (${row.failed}/${row.total})`, ...Array(TABLE_HEADER.length - 2).fill(DASH)]
  }
  return [
    row.key,
    `${row.wallMean.toFixed(2)} ±${row.wallStddev.toFixed(2)}`,
    row.user.toFixed(2),
    row.sys.toFixed(2),
    row.rssMb.toFixed(0),
    Math.round(row.vctx).toString(),
    Math.round(row.ictx).toString(),
    row.nodeModulesFiles === undefined || row.nodeModulesMb === undefined
      ? DASH
      : `${Math.round(row.nodeModulesFiles)} / ${row.nodeModulesMb.toFixed(1)}`,
    Number.isFinite(fastest) && fastest > 0 ? `${(row.wallMean / fastest).toFixed(2)}×` : DASH,
  ]
}

/** One line per failed recorded run of a phase: who, which round, why, and the end of stderr. */
export function renderFailures(phase: Phase, runs: readonly RunRecord[]): string[] {
  return runs
    .filter((run) => run.phase === phase && !run.warmup && run.status === 'fail')
    .map((run) => {
      const tail = (run.stderrTail ?? '').replace(/\s+/g, ' ').trim().slice(-400)
      return `- ${run.contender} round ${run.round}: ${run.error ?? 'failed'}${tail ? ` — stderr: ${tail}` : ''}`
    })
}

export function renderHeader(meta: RunMeta): string {
  const { machine } = meta
  return [
    `# pm-bench: ${meta.fixture}`,
    '',
    `- date: ${meta.date}`,
    `- machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.ramGb.toFixed(1)} GB RAM, ${machine.os}, node ${machine.node}, load average at start ${machine.loadAverage.map((load) => load.toFixed(2)).join(' ')}`,
    `- fixture: ${meta.fixture}`,
    `- versions: ${Object.entries(meta.versions)
      .map(([pm, version]) => `${pm} ${version}`)
      .join(', ')}`,
    `- rounds: ${meta.rounds} recorded after 1 warm-up round; phases: ${meta.phases.join(', ')}`,
    '- columns: wall mean ± sample stddev, user and sys CPU in seconds, max RSS in MB, voluntary/involuntary context switches, node_modules as files / MB, ×fastest = mean wall / fastest mean wall',
    ...meta.notes.map((note) => `- note: ${note}`),
  ].join('\n')
}

/** The whole report: header, then per phase its table and its failures. */
export function renderReport(
  meta: RunMeta,
  contenders: readonly Contender[],
  runs: readonly RunRecord[],
  isAvailable: (contender: Contender, phase: Phase) => boolean,
): string {
  const sections = [renderHeader(meta)]
  for (const phase of meta.phases) {
    const rows = contenders.map((contender) =>
      rowFigures(contender, phase, runs, isAvailable(contender, phase)),
    )
    const failures = renderFailures(phase, runs)
    sections.push(
      [renderPhaseTable(phase, rows), ...(failures.length > 0 ? ['', 'Failures:', ...failures] : [])].join(
        '\n',
      ),
    )
  }
  return `${sections.join('\n\n')}\n`
}
