import { describe, expect, it } from 'vitest'
import { buildContenders, buildSchedule } from '../src/_schedule.js'

describe('buildContenders', () => {
  it('puts each variant right after tote', () => {
    const contenders = buildContenders(['npm', 'tote', 'bun'], [{ name: 'fast', args: ['--x'], env: {} }])
    expect(contenders.map((contender) => contender.key)).toEqual(['npm', 'tote', 'tote[fast]', 'bun'])
    expect(contenders[2]).toEqual({
      key: 'tote[fast]',
      pm: 'tote',
      variant: { name: 'fast', args: ['--x'], env: {} },
    })
  })

  it('puts the node -e 0 reference row last, when asked for', () => {
    const contenders = buildContenders(['tote', 'bun'], [], { reference: true })
    expect(contenders.map((contender) => contender.key)).toEqual(['tote', 'bun', 'node -e 0'])
    expect(contenders[2]).toEqual({ key: 'node -e 0', pm: 'node' })
    expect(buildContenders(['tote'], []).map((contender) => contender.key)).toEqual(['tote'])
  })

  it('ignores variants without tote', () => {
    expect(buildContenders(['npm'], [{ name: 'fast', args: ['--x'], env: {} }]).map((c) => c.key)).toEqual([
      'npm',
    ])
  })
})

describe('buildSchedule', () => {
  const contenders = buildContenders(['npm', 'pnpm', 'bun'], [])
  const phases = ['p3_cold_install', 'p0_full_cold'] as const

  it('runs a warm-up round, then the rounds, phases in order, contenders interleaved', () => {
    const steps = buildSchedule(contenders, phases, 2)
    expect(steps.map((step) => `${step.round} ${step.phase} ${step.contender.key}`)).toEqual([
      '0 p0_full_cold npm',
      '0 p0_full_cold pnpm',
      '0 p0_full_cold bun',
      '0 p3_cold_install npm',
      '0 p3_cold_install pnpm',
      '0 p3_cold_install bun',
      // Odd rounds reverse the order.
      '1 p0_full_cold bun',
      '1 p0_full_cold pnpm',
      '1 p0_full_cold npm',
      '1 p3_cold_install bun',
      '1 p3_cold_install pnpm',
      '1 p3_cold_install npm',
      '2 p0_full_cold npm',
      '2 p0_full_cold pnpm',
      '2 p0_full_cold bun',
      '2 p3_cold_install npm',
      '2 p3_cold_install pnpm',
      '2 p3_cold_install bun',
    ])
  })

  it('marks only round 0 as the warm-up', () => {
    const steps = buildSchedule(contenders, phases, 1)
    expect(steps.filter((step) => step.warmup).every((step) => step.round === 0)).toBe(true)
    expect(steps.filter((step) => step.warmup)).toHaveLength(6)
    expect(steps.filter((step) => !step.warmup)).toHaveLength(6)
  })

  it('leaves a capped package manager out of the rounds past its cap, keeping its warm-up', () => {
    const steps = buildSchedule(contenders, ['p0_full_cold'], 3, { npm: 1 })
    const npmRounds = steps.filter((step) => step.contender.key === 'npm').map((step) => step.round)
    expect(npmRounds).toEqual([0, 1])
    expect(steps.filter((step) => step.contender.key === 'bun').map((step) => step.round)).toEqual([
      0, 1, 2, 3,
    ])
  })
})
