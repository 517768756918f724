import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { describe, expect, it } from 'vitest'
import { renderChart } from '../src/_chart.js'
import type { RunMeta } from '../src/_report.js'
import { RESULT_FILES, renderSaved, writeResults } from '../src/_results.js'
import { buildContenders } from '../src/_schedule.js'
import type { Contender, Phase, RunRecord } from '../src/types.js'

/** A run record as pm-bench writes it to results.json. */
function run(contender: Contender, phase: Phase, round: number, wall: number, failed = false): RunRecord {
  return {
    contender: contender.key,
    pm: contender.pm,
    variant: contender.variant?.name,
    phase,
    round,
    warmup: round === 0,
    status: failed ? 'fail' : 'ok',
    argv: [],
    exitCode: failed ? 1 : 0,
    time: {
      wallSeconds: wall,
      userSeconds: wall / 2,
      sysSeconds: wall / 4,
      maxRssKb: 102400,
      voluntaryCtx: 1000,
      involuntaryCtx: 10,
      exitCode: failed ? 1 : 0,
      signal: undefined,
    },
    after:
      contender.pm === 'node'
        ? undefined
        : { nodeModulesFiles: 679, nodeModulesBytes: 87 * 1024 ** 2, cacheBytes: 0, lockfileBytes: 100 },
    checks:
      contender.pm === 'node'
        ? undefined
        : { lockfileWritten: true, missingDependencies: [], missingOptional: [] },
    error: failed ? 'exit code 1' : undefined,
    stderrTail: undefined,
  }
}

const contenders = buildContenders(['tote', 'npm', 'bun', 'utoo'], [], { reference: true })
const [tote, npm, bun, utoo, reference] = contenders as [
  Contender,
  Contender,
  Contender,
  Contender,
  Contender,
]
const phases: Phase[] = ['p0_full_cold', 'p1_resolve', 'p4_warm_link']

const meta: RunMeta = {
  date: '2026-12-07T13:00:00.000Z',
  machine: {
    cores: 2,
    cpuModel: 'Test CPU',
    ramGb: 8,
    node: 'v24.0.0',
    os: 'Linux 6.1',
    loadAverage: [1, 1, 1],
  },
  fixture: 'vite-react-ts',
  versions: { tote: '0.1.0', npm: '11.19.1', bun: '1.4.5', utoo: '1.1.9' },
  rounds: 3,
  phases,
  notes: [],
}

/** Walls per round 0 (the warm-up, never shown) to 3. */
const walls: Partial<Record<Phase, Record<string, number[]>>> = {
  // bun is the fastest (median 2), tote 1.5× that (median 3).
  p0_full_cold: {
    tote: [9, 3.2, 3, 2.9],
    npm: [30, 31, 29, 30.5],
    bun: [5, 2, 2.2, 1.9],
    utoo: [6, 5, 5.5, 5.2],
  },
  // tote is the fastest (median 1.2), npm next at 2.4 = 2×.
  p1_resolve: {
    tote: [2, 1.2, 1.1, 1.3],
    npm: [3, 2.4, 2.5, 2.3],
    bun: [3, 3, 3, 3],
    utoo: [3, 3.5, 3, 2.9],
  },
  // utoo fails one round; tote's median 0.25, bun's 0.05.
  p4_warm_link: {
    tote: [1, 0.25, 0.3, 0.2],
    npm: [3, 2, 2, 2],
    bun: [1, 0.05, 0.06, 0.04],
    utoo: [1, 1, 1, 1],
  },
}
const referenceWalls = [0.05, 0.04, 0.05, 0.06]

const runs: RunRecord[] = []
for (const phase of phases) {
  for (let round = 0; round <= 3; round++) {
    for (const contender of [tote, npm, bun, utoo]) {
      const failed = phase === 'p4_warm_link' && contender === utoo && round === 2
      runs.push(run(contender, phase, round, walls[phase]![contender.key]![round]!, failed))
    }
    runs.push(run(reference, phase, round, referenceWalls[round]!))
  }
}

/** The parsed SVG: per phase, its text and per row its attributes and text. */
function parse(svg: string) {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => name === 'g' || name === 'text',
  })
  const document = parser.parse(svg)
  const texts = (node: { text?: Array<string | { '#text': string | number }> }) =>
    (node.text ?? []).map((entry) => String(typeof entry === 'object' ? entry['#text'] : entry))
  // biome-ignore lint/suspicious/noExplicitAny: the parsed tree of an SVG
  return (document.svg.g as any[]).map((group) => ({
    phase: group['data-phase'] as string,
    texts: texts(group),
    // biome-ignore lint/suspicious/noExplicitAny: the parsed tree of an SVG
    rows: (group.g as any[]).map((row) => ({
      tool: row['data-tool'] as string,
      median: row['data-median'] as string | undefined,
      texts: texts(row),
    })),
  }))
}

describe('the chart pm-bench writes next to its tables', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-bench-chart-'))
  const report = writeResults(dir, {
    meta,
    options: {
      pms: ['tote', 'npm', 'bun', 'utoo'],
      phases,
      rounds: 3,
      variants: [],
      fixture: 'fixtures/vite-react-ts',
    },
    contenders,
    runs,
    isAvailable: () => true,
  })
  const svg = readFileSync(join(dir, RESULT_FILES.chart), 'utf8')

  it('writes results.svg beside results.md and results.json, as well-formed XML', () => {
    expect(readFileSync(join(dir, RESULT_FILES.markdown), 'utf8')).toBe(report)
    expect(JSON.parse(readFileSync(join(dir, RESULT_FILES.json), 'utf8')).runs).toHaveLength(runs.length)
    expect(XMLValidator.validate(svg)).toBe(true)
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    // Self-contained: nothing loaded from elsewhere.
    expect(svg).not.toMatch(/href|@import|url\(|<script/)
  })

  it('has a group per phase and in it every tool with its median of the recorded rounds', () => {
    const groups = parse(svg)
    expect(groups.map((group) => group.phase)).toEqual(phases)
    const p0 = groups[0]!
    expect(p0.rows.map((row) => row.tool)).toEqual(['tote', 'npm', 'bun', 'utoo', 'node -e 0'])
    expect(p0.rows.map((row) => row.median)).toEqual(['3.000', '30.500', '2.000', '5.200', '0.050'])
    expect(p0.rows.map((row) => row.texts)).toEqual([
      ['tote', '3.00 s (1.50×)'],
      ['npm', '30.50 s (15.25×)'],
      ['bun', '2.00 s (1.00×)'],
      ['utoo', '5.20 s (2.60×)'],
      ['node -e 0 (reference)', '0.05 s'],
    ])
  })

  it("prints tote's median over the fastest one, never taking node -e 0 as the fastest", () => {
    const [p0, p1, p4] = parse(svg)
    expect(p0!.texts).toContain('tote: 1.50× the fastest (bun), 2.95 s beyond node -e 0')
    expect(p1!.texts).toContain('tote: the fastest (next: npm at 2.00×), 1.15 s beyond node -e 0')
    expect(p4!.texts).toContain('tote: 5.00× the fastest (bun), 0.20 s beyond node -e 0')
  })

  it('shows a failed row as failed, without a bar', () => {
    const p4 = parse(svg)[2]!
    const row = p4.rows.find((candidate) => candidate.tool === 'utoo')!
    expect(row.median).toBeUndefined()
    expect(row.texts).toEqual(['utoo', 'fail (1/3)'])
  })

  it('prints the reference row and tote less node -e 0 in the tables too', () => {
    expect(report).toContain('| node -e 0 (reference) | 0.05 ±0.01 | 0.05 |')
    expect(report).toContain('tote − node -e 0 (medians): 2.95 s (3.00 − 0.05)')
  })

  it('draws the same chart and tables again from results.json alone (--render)', () => {
    rmSync(join(dir, RESULT_FILES.chart))
    rmSync(join(dir, RESULT_FILES.markdown))
    expect(renderSaved(dir)).toBe(report)
    expect(readFileSync(join(dir, RESULT_FILES.markdown), 'utf8')).toBe(report)
    expect(readFileSync(join(dir, RESULT_FILES.chart), 'utf8')).toBe(svg)
  })

  it('escapes names that are not plain XML text', () => {
    const odd: Contender = {
      key: 'tote[a<b&"c"]',
      pm: 'tote',
      variant: { name: 'a<b&"c"', args: [], env: {} },
    }
    const chart = renderChart(
      { ...meta, phases: ['p0_full_cold'] },
      [odd],
      [run(odd, 'p0_full_cold', 1, 1)],
      () => true,
    )
    expect(XMLValidator.validate(chart)).toBe(true)
    expect(parse(chart)[0]!.rows[0]!.tool).toBe('tote[a<b&"c"]')
  })
})
