import { describe, expect, it } from 'vitest'
import { type RunMeta, renderHeader, renderReport, rowFigures } from '../src/_report.js'
import type { Contender, Phase, RunRecord } from '../src/types.js'

function run(contender: string, round: number, wall: number, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    contender,
    pm: contender.startsWith('tote') ? 'tote' : (contender as RunRecord['pm']),
    variant: undefined,
    phase: 'p0_full_cold',
    round,
    warmup: round === 0,
    status: 'ok',
    argv: [],
    exitCode: 0,
    time: {
      wallSeconds: wall,
      userSeconds: wall / 2,
      sysSeconds: wall / 4,
      maxRssKb: 102400,
      voluntaryCtx: 1000,
      involuntaryCtx: 10,
      exitCode: 0,
      signal: undefined,
    },
    after: { nodeModulesFiles: 1000, nodeModulesBytes: 50 * 1024 ** 2, cacheBytes: 0, lockfileBytes: 100 },
    checks: { lockfileWritten: true, missingDependencies: [], missingOptional: [] },
    error: undefined,
    stderrTail: undefined,
    ...overrides,
  }
}

const contenders: Contender[] = [
  { key: 'tote', pm: 'tote' },
  { key: 'npm', pm: 'npm' },
  { key: 'pnpm', pm: 'pnpm' },
  { key: 'bun', pm: 'bun' },
]

const meta: RunMeta = {
  date: '2026-11-26T20:00:00.000Z',
  machine: {
    cores: 2,
    cpuModel: 'Test CPU',
    ramGb: 8,
    node: 'v20.20.2',
    os: 'Linux 6.1',
    loadAverage: [1, 0.5, 0.25],
  },
  fixture: 'vite-react-ts',
  versions: { tote: '0.1.0', npm: '11.19.1', pnpm: '12.21.0', bun: '1.4.5' },
  rounds: 2,
  phases: ['p0_full_cold'],
  notes: ['lifecycle scripts off'],
}

describe('rowFigures', () => {
  it('averages recorded rounds only, never the warm-up', () => {
    const figures = rowFigures(
      contenders[2]!,
      'p0_full_cold',
      [run('pnpm', 0, 100), run('pnpm', 1, 4), run('pnpm', 2, 6)],
      true,
    )
    expect(figures.state).toBe('ok')
    expect(figures.wallMean).toBe(5)
    expect(figures.wallStddev).toBeCloseTo(Math.SQRT2, 12)
    expect(figures.rssMb).toBe(100)
    expect(figures.nodeModulesMb).toBe(50)
  })

  it('marks a row failed when any recorded run failed', () => {
    const figures = rowFigures(
      contenders[1]!,
      'p0_full_cold',
      [run('npm', 1, 4), run('npm', 2, 1, { status: 'fail', error: 'exit code 1' })],
      true,
    )
    expect(figures.state).toBe('fail')
    expect(figures.failed).toBe(1)
    expect(figures.total).toBe(2)
  })
})

describe('renderReport', () => {
  it('renders the table with n/a, fail, and ×fastest over successful rows', () => {
    const runs = [
      run('npm', 0, 9),
      run('npm', 1, 10),
      run('npm', 2, 12),
      run('pnpm', 1, 4),
      run('pnpm', 2, 6),
      run('bun', 1, 2),
      run('bun', 2, 1, { status: 'fail', error: 'exit code 1', stderrTail: 'error: lockfile had changes\n' }),
    ]
    const report = renderReport(
      meta,
      contenders,
      runs,
      (contender: Contender, _phase: Phase) => contender.pm !== 'tote',
    )
    const table = report.slice(report.indexOf('### p0_full_cold'))
    expect(table).toBe(
      [
        '### p0_full_cold',
        '',
        '| PM | wall ±σ | median | user | sys | RSS | vCtx | iCtx | node_modules | ×fastest |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
        '| tote | n/a | — | — | — | — | — | — | — | — |',
        '| npm | 11.00 ±1.41 | 11.00 | 5.50 | 2.75 | 100 | 1000 | 10 | 1000 / 50.0 | 2.20× |',
        '| pnpm | 5.00 ±1.41 | 5.00 | 2.50 | 1.25 | 100 | 1000 | 10 | 1000 / 50.0 | 1.00× |',
        '| bun | fail (1/2) | — | — | — | — | — | — | — | — |',
        '',
        'Failures:',
        '- bun round 2: exit code 1 — stderr: error: lockfile had changes',
        '',
      ].join('\n'),
    )
  })

  it('shows a dash for node_modules when a phase does not install', () => {
    const runs = [
      run('npm', 1, 3, {
        phase: 'p1_resolve',
        after: { nodeModulesFiles: undefined, nodeModulesBytes: undefined, cacheBytes: 1, lockfileBytes: 9 },
      }),
    ]
    const report = renderReport({ ...meta, phases: ['p1_resolve'] }, [contenders[1]!], runs, () => true)
    expect(report).toContain('| npm | 3.00 ±0.00 | 3.00 | 1.50 | 0.75 | 100 | 1000 | 10 | — | 1.00× |')
  })
})

describe('renderHeader', () => {
  it('names the date, machine, fixture, versions and rounds', () => {
    const header = renderHeader(meta)
    expect(header).toContain('- date: 2026-11-26T20:00:00.000Z')
    expect(header).toContain(
      '- machine: 2 cores (Test CPU), 8.0 GB RAM, Linux 6.1, node v20.20.2, load average at start 1.00 0.50 0.25',
    )
    expect(header).toContain('- fixture: vite-react-ts')
    expect(header).toContain('- versions: tote 0.1.0, npm 11.19.1, pnpm 12.21.0, bun 1.4.5')
    expect(header).toContain('- rounds: 2 recorded after 1 warm-up round; phases: p0_full_cold')
    expect(header).toContain('- note: lifecycle scripts off')
  })
})
