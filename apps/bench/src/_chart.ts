import { peerRows, type RowFigures, type RunMeta, rowFigures, rowLabel } from './_report.js'
import type { Contender, Phase, RunRecord } from './types.js'

/** Geometry, in SVG user units (pixels at 100 %). */
const WIDTH = 760
const LABEL_RIGHT = 150
const BAR_LEFT = 160
const BAR_RIGHT = 640
const ROW_HEIGHT = 22
const BAR_HEIGHT = 14
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
const COLORS = {
  tote: '#e8590c',
  peer: '#748ffc',
  reference: '#dee2e6',
  whisker: '#212529',
  text: '#212529',
  muted: '#868e96',
  grid: '#e9ecef',
}

/**
 * An SVG chart of a run, from the same records as the tables: one group per phase, one horizontal
 * bar per row at its median wall time with a whisker from the fastest to the slowest round, each
 * row's median over the fastest median, and tote's standing printed above the bars. Self-contained:
 * no scripts, no external fonts or images.
 */
export function renderChart(
  meta: RunMeta,
  contenders: readonly Contender[],
  runs: readonly RunRecord[],
  isAvailable: (contender: Contender, phase: Phase) => boolean,
): string {
  const body: string[] = []
  const { machine } = meta
  const plural = meta.rounds === 1 ? '' : 's'
  const lines = [
    `bar: median of ${meta.rounds} round${plural} (after a warm-up) · whisker: fastest to slowest round · (×): median / fastest median`,
    `${meta.date.slice(0, 10)} · ${machine.cores} cores, ${machine.ramGb.toFixed(1)} GB RAM, ${machine.os}, node ${machine.node}, load average at start ${machine.loadAverage.map((load) => load.toFixed(2)).join(' ')}`,
    Object.entries(meta.versions)
      .map(([pm, version]) => `${pm} ${version}`)
      .join(', '),
  ]
  let y = 30
  body.push(text(16, y, `pm-bench: ${meta.fixture} — wall time in seconds`, { size: 18, weight: 'bold' }))
  y += 4
  for (const line of lines) {
    y += 16
    body.push(text(16, y, line, { size: 12, fill: COLORS.muted }))
  }
  y += 14
  for (const phase of meta.phases) {
    const rows = contenders.map((contender) =>
      rowFigures(contender, phase, runs, isAvailable(contender, phase)),
    )
    const group = renderPhase(phase, rows, y + 28)
    body.push(group.svg)
    y = group.bottom
  }
  const height = y + 16
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${FONT}" role="img" aria-label="${escapeXml(`pm-bench results for ${meta.fixture}`)}">`,
    `<title>${escapeXml(`pm-bench: ${meta.fixture}, ${meta.date}`)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n')
}

/**
 * tote's standing in one phase: its median over the fastest median (the reference row excluded),
 * and, with a successful `node -e 0` row, tote's median less Node's start-up.
 */
export function standing(rows: readonly RowFigures[]): string {
  const peers = peerRows(rows)
  const reference = rows.find((row) => row.reference && row.state === 'ok')
  if (peers.length === 0) return 'no successful runs'
  const fastest = peers.reduce((best, row) => (row.wallMedian < best.wallMedian ? row : best))
  const parts: string[] = []
  for (const row of rows.filter((candidate) => candidate.tote)) {
    if (row.state !== 'ok') {
      parts.push(`${row.key}: ${stateText(row)}`)
      continue
    }
    let part: string
    if (row === fastest) {
      const others = peers.filter((other) => other !== row)
      const next = others.reduce<RowFigures | undefined>(
        (best, other) => (best === undefined || other.wallMedian < best.wallMedian ? other : best),
        undefined,
      )
      part = `${row.key}: the fastest${next ? ` (next: ${next.key} at ${ratio(next.wallMedian, row.wallMedian)})` : ''}`
    } else {
      part = `${row.key}: ${ratio(row.wallMedian, fastest.wallMedian)} the fastest (${fastest.key})`
    }
    if (reference) part += `, ${seconds(row.wallMedian - reference.wallMedian)} beyond node -e 0`
    parts.push(part)
  }
  return parts.join(' · ')
}

function renderPhase(
  phase: Phase,
  rows: readonly RowFigures[],
  top: number,
): { svg: string; bottom: number } {
  const out: string[] = [`<g data-phase="${phase}">`]
  out.push(text(16, top, phase, { size: 14, weight: 'bold' }))
  out.push(
    text(BAR_LEFT, top, standing(rows), { size: 12, fill: COLORS.tote, weight: 'bold', role: 'standing' }),
  )
  const measured = rows.filter((row) => row.state === 'ok')
  // The slowest round fills the width; ticks stop at the last whole step below it.
  const slowest = Math.max(0, ...measured.map((row) => row.wallMax))
  const axisMax = slowest > 0 ? slowest : 1
  const scale = (value: number) => BAR_LEFT + (value / axisMax) * (BAR_RIGHT - BAR_LEFT)
  const rowsTop = top + 14
  const rowsBottom = rowsTop + rows.length * ROW_HEIGHT
  const step = tickStep(axisMax)
  for (let tick = 0; tick <= axisMax + step / 1000; tick += step) {
    const x = round(scale(tick))
    out.push(`<line x1="${x}" y1="${rowsTop}" x2="${x}" y2="${rowsBottom}" stroke="${COLORS.grid}"/>`)
    out.push(
      text(x, rowsBottom + 12, `${formatTick(tick, step)}${tick === 0 ? '' : ' s'}`, {
        size: 10,
        fill: COLORS.muted,
        anchor: 'middle',
      }),
    )
  }
  const fastest = Math.min(...peerRows(rows).map((row) => row.wallMedian))
  for (const [index, row] of rows.entries()) {
    const rowTop = rowsTop + index * ROW_HEIGHT
    const middle = rowTop + ROW_HEIGHT / 2
    const attributes = `data-tool="${escapeXml(row.key)}"${row.state === 'ok' ? ` data-median="${row.wallMedian.toFixed(3)}"` : ''}`
    out.push(`<g ${attributes}>`)
    out.push(
      text(LABEL_RIGHT, middle + 4, rowLabel(row), {
        size: 12,
        anchor: 'end',
        weight: row.tote ? 'bold' : 'normal',
        fill: row.reference ? COLORS.muted : COLORS.text,
      }),
    )
    if (row.state !== 'ok') {
      out.push(text(BAR_LEFT + 4, middle + 4, stateText(row), { size: 12, fill: COLORS.muted, italic: true }))
      out.push('</g>')
      continue
    }
    const fill = row.reference ? COLORS.reference : row.tote ? COLORS.tote : COLORS.peer
    const barTop = round(middle - BAR_HEIGHT / 2)
    const barWidth = Math.max(1, round(scale(row.wallMedian) - BAR_LEFT))
    out.push(
      `<rect x="${BAR_LEFT}" y="${barTop}" width="${barWidth}" height="${BAR_HEIGHT}" fill="${fill}"${row.reference ? ` stroke="${COLORS.muted}" stroke-dasharray="3 2"` : ''}/>`,
    )
    const low = round(scale(row.wallMin))
    const high = round(scale(row.wallMax))
    const cap = BAR_HEIGHT / 2 - 2
    out.push(
      `<path d="M${low} ${middle}H${high}M${low} ${middle - cap}V${middle + cap}M${high} ${middle - cap}V${middle + cap}" stroke="${COLORS.whisker}" stroke-width="1.2" fill="none"/>`,
    )
    const relative = row.reference || !(fastest > 0) ? '' : ` (${ratio(row.wallMedian, fastest)})`
    out.push(text(high + 6, middle + 4, `${seconds(row.wallMedian)}${relative}`, { size: 12 }))
    out.push('</g>')
  }
  out.push('</g>')
  return { svg: out.join('\n'), bottom: rowsBottom + 16 }
}

function stateText(row: RowFigures): string {
  if (row.state === 'n/a') return 'n/a'
  if (row.state === 'none') return 'not run'
  return `fail (${row.failed}/${row.total})`
}

function ratio(value: number, base: number): string {
  return `${(value / base).toFixed(2)}×`
}

function seconds(value: number): string {
  return `${value.toFixed(2)} s`
}

/** The smallest 1, 2, 2.5 or 5 × 10^k that divides `axisMax` into at most 5 steps. */
function tickStep(axisMax: number): number {
  const rough = axisMax / 5
  const power = 10 ** Math.floor(Math.log10(rough))
  for (const factor of [1, 2, 2.5, 5, 10]) if (factor * power >= rough) return factor * power
  return 10 * power
}

/** A tick value with as many decimals as the step needs (0.25 → 2, 0.5 → 1, 5 → 0). */
function formatTick(value: number, step: number): string {
  let decimals = 0
  while (decimals < 3 && Math.abs(step * 10 ** decimals - Math.round(step * 10 ** decimals)) > 1e-9)
    decimals++
  return value.toFixed(decimals)
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}

interface TextStyle {
  size: number
  weight?: 'bold' | 'normal'
  fill?: string
  anchor?: 'start' | 'middle' | 'end'
  italic?: boolean
  role?: string
}

function text(x: number, y: number, content: string, style: TextStyle): string {
  const attributes = [
    `x="${round(x)}"`,
    `y="${round(y)}"`,
    `font-size="${style.size}"`,
    `fill="${style.fill ?? COLORS.text}"`,
  ]
  if (style.weight === 'bold') attributes.push('font-weight="bold"')
  if (style.anchor && style.anchor !== 'start') attributes.push(`text-anchor="${style.anchor}"`)
  if (style.italic) attributes.push('font-style="italic"')
  if (style.role) attributes.push(`data-role="${style.role}"`)
  return `<text ${attributes.join(' ')}>${escapeXml(content)}</text>`
}

/** Text and attribute values safe inside XML. */
function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}
