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
  'median',
  'user',
  'sys',
  'RSS',
  'vCtx',
  'iCtx',
  'node_modules',
  '×fastest',
]

/** A row's figures: means (and the wall time's median and range) over a contender's recorded runs of one phase. */
export interface RowFigures {
  key: string
  /** The `node -e 0` row: shown for reference, never the fastest. */
  reference: boolean
  /** tote, or tote with a variant's flags. */
  tote: boolean
  state: 'ok' | 'fail' | 'n/a' | 'none'
  failed: number
  total: number
  wallMean: number
  wallStddev: number
  wallMedian: number
  wallMin: number
  wallMax: number
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
    reference: contender.pm === 'node',
    tote: contender.pm === 'tote',
    state,
    failed,
    total: mine.length,
    wallMean: wall.mean,
    wallStddev: wall.stddev,
    wallMedian: wall.median,
    wallMin: wall.min,
    wallMax: wall.max,
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

/** The rows that may be the fastest of a phase: successful, and not the `node -e 0` reference. */
export function peerRows(rows: readonly RowFigures[]): RowFigures[] {
  return rows.filter((row) => row.state === 'ok' && !row.reference)
}

/** How a row is named in tables and charts: the reference says that it is one. */
export function rowLabel(row: RowFigures): string {
  return row.reference ? `${row.key} (reference)` : row.key
}

/**
 * A markdown table for one phase; failed and unavailable rows and the `node -e 0` reference never
 * enter the ×fastest baseline.
 */
export function renderPhaseTable(phase: Phase, rows: readonly RowFigures[]): string {
  const fastest = Math.min(...peerRows(rows).map((row) => row.wallMean))
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
  const label = rowLabel(row)
  if (row.state === 'n/a') return [label, 'n/a', ...Array(TABLE_HEADER.length - 2).fill(DASH)]
  if (row.state === 'none') return [label, 'not run', ...Array(TABLE_HEADER.length - 2).fill(DASH)]
  if (row.state === 'fail') {
    return [label, `fail (${row.failed}/${row.total})`, ...Array(TABLE_HEADER.length - 2).fill(DASH)]
  }
  return [
    label,
    `${row.wallMean.toFixed(2)} ±${row.wallStddev.toFixed(2)}`,
    row.wallMedian.toFixed(2),
    row.user.toFixed(2),
    row.sys.toFixed(2),
    row.rssMb.toFixed(0),
    Math.round(row.vctx).toString(),
    Math.round(row.ictx).toString(),
    row.nodeModulesFiles === undefined || row.nodeModulesMb === undefined
      ? DASH
      : `${Math.round(row.nodeModulesFiles)} / ${row.nodeModulesMb.toFixed(1)}`,
    !row.reference && Number.isFinite(fastest) && fastest > 0
      ? `${(row.wallMean / fastest).toFixed(2)}×`
      : DASH,
  ]
}

/**
 * Per tote row, its median wall time less the `node -e 0` reference's median of the same phase:
 * the time tote spends beyond Node's own start-up. None without a successful reference row.
 */
export function startupLines(rows: readonly RowFigures[]): string[] {
  const reference = rows.find((row) => row.reference && row.state === 'ok')
  if (!reference) return []
  return rows
    .filter((row) => row.tote && row.state === 'ok')
    .map(
      (row) =>
        `${row.key} − node -e 0 (medians): ${(row.wallMedian - reference.wallMedian).toFixed(2)} s (${row.wallMedian.toFixed(2)} − ${reference.wallMedian.toFixed(2)})`,
    )
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
    '- columns: wall mean ± sample stddev and median, user and sys CPU in seconds, max RSS in MB, voluntary/involuntary context switches, node_modules as files / MB, ×fastest = mean wall / fastest mean wall; `node -e 0 (reference)` is Node starting and exiting, timed the same way, never the fastest',
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
    const startup = startupLines(rows)
    sections.push(
      [
        renderPhaseTable(phase, rows),
        ...(startup.length > 0 ? ['', ...startup] : []),
        ...(failures.length > 0 ? ['', 'Failures:', ...failures] : []),
      ].join('\n'),
    )
  }
  return `${sections.join('\n\n')}\n`
}
