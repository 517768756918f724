import { ALL_PHASES } from './_args.js'
import type { Contender, Phase, PmName, ReferenceContender, Variant } from './types.js'

/** One planned run. */
export interface Step {
  /** 0 is the warm-up round. */
  round: number
  warmup: boolean
  phase: Phase
  contender: Contender
}

/** The `node -e 0` row: Node's own start-up, a reference that is never the fastest. */
export const NODE_REFERENCE: ReferenceContender = { key: 'node -e 0', pm: 'node' }

/**
 * The rows of the tables: each package manager, tote once more per variant right after tote, and
 * with `reference` the `node -e 0` row last (it takes its turn in every phase and round like the others).
 */
export function buildContenders(
  pms: readonly PmName[],
  variants: readonly Variant[],
  options: { reference?: boolean } = {},
): Contender[] {
  const contenders: Contender[] = []
  for (const pm of pms) {
    contenders.push({ key: pm, pm })
    if (pm === 'tote') {
      for (const variant of variants) contenders.push({ key: `tote[${variant.name}]`, pm, variant })
    }
  }
  if (options.reference) contenders.push(NODE_REFERENCE)
  return contenders
}

/**
 * A warm-up round (0) and then `rounds` recorded ones. Within a round the phases run in order
 * (p0 and p1 first, so that each package manager has written its lockfile before p3 and p4) and,
 * within a phase, the contenders take turns; odd rounds run them in reverse, so no package manager
 * always goes first after another one's disk writes. `pmRounds` caps the recorded rounds of a
 * package manager too slow for all of them; its turns in later rounds are left out.
 */
export function buildSchedule(
  contenders: readonly Contender[],
  phases: readonly Phase[],
  rounds: number,
  pmRounds: Partial<Record<string, number>> = {},
): Step[] {
  const ordered = [...phases].sort((a, b) => ALL_PHASES.indexOf(a) - ALL_PHASES.indexOf(b))
  const steps: Step[] = []
  for (let round = 0; round <= rounds; round++) {
    const order = round % 2 === 1 ? [...contenders].reverse() : contenders
    for (const phase of ordered) {
      for (const contender of order) {
        if (round > (pmRounds[contender.pm] ?? rounds)) continue
        steps.push({ round, warmup: round === 0, phase, contender })
      }
    }
  }
  return steps
}
