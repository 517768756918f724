import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { CloneStrategy } from '@tote/cloner'
import type { UnreviewedMode } from '@tote/scripts'
import { ToteError } from '@tote/types'
import type { CommandContext } from './_command-types.js'
import { unreviewedMode } from './_scripts.js'
import { STAGE_NAMES, type StageModules, type StageName } from './_stage-modules.js'

// The first step of the commands that install: tote's own install flags, checked before anything
// is read, so that a usage error comes first and costs nothing.

/** tote's install flags, parsed. */
export interface InstallOptions {
  /** --linker-strategy. */
  cloneStrategy: CloneStrategy
  /** --workers: worker threads for the scheduler; undefined lets it choose. */
  workers: number | undefined
  /** --stage name=module and --cloner: stages taken from other modules (file URLs), to compare them. */
  stageModules: StageModules
  /** --unreviewed-scripts (or TOTE_UNREVIEWED_SCRIPTS). */
  unreviewed: UnreviewedMode
}

export function parseInstallOptions(context: CommandContext): InstallOptions {
  return {
    cloneStrategy: parseCloneStrategy(context.values['linker-strategy']),
    workers: parseWorkers(context.values.workers),
    stageModules: parseStageModules(context),
    unreviewed: unreviewedMode(context.values),
  }
}

export const CLONE_STRATEGIES: readonly CloneStrategy[] = ['auto', 'reflink', 'hardlink', 'copy']

function parseCloneStrategy(value: unknown): CloneStrategy {
  if (value === undefined) return 'auto'
  if (typeof value === 'string' && (CLONE_STRATEGIES as readonly string[]).includes(value)) {
    return value as CloneStrategy
  }
  throw new ToteError('EUSAGE', `Unknown --linker-strategy ${JSON.stringify(value)}.`, {
    hint: `Use one of: ${CLONE_STRATEGIES.join(', ')}.`,
    details: { usage: true },
  })
}

function parseWorkers(value: unknown, flag = '--workers'): number | undefined {
  if (value === undefined) return undefined
  const count = Number(value)
  if (typeof value === 'string' && Number.isInteger(count) && count >= 0 && count <= 64) return count
  throw new ToteError('EUSAGE', `${flag} wants a whole number from 0 to 64, not ${JSON.stringify(value)}.`, {
    hint: `Use ${flag} 0 to run everything on the main thread.`,
    details: { usage: true },
  })
}

/** `--stage name=module` (repeatable) and `--cloner module`: each stage named once at most. */
function parseStageModules(context: CommandContext): StageModules {
  const given = [context.values.stage ?? []].flat()
  if (typeof context.values.cloner === 'string') given.push(`cloner=${context.values.cloner}`)
  const names = Object.keys(STAGE_NAMES).join(', ')
  const modules: StageModules = {}
  for (const value of given) {
    const at = typeof value === 'string' ? value.indexOf('=') : -1
    const name = (typeof value === 'string' ? value.slice(0, Math.max(at, 0)) : '') as StageName
    const module = typeof value === 'string' ? value.slice(at + 1) : ''
    if (!(name in STAGE_NAMES) || module === '') {
      throw new ToteError('EUSAGE', `--stage wants name=module, not ${JSON.stringify(value)}.`, {
        hint: `Name one of: ${names}; the module exports its factory (${STAGE_NAMES.cloner}, …).`,
        details: { usage: true },
      })
    }
    if (modules[name] !== undefined) {
      throw new ToteError('EUSAGE', `The ${name} stage is named twice (--stage, --cloner).`, {
        hint: 'Name each stage once.',
        details: { usage: true },
      })
    }
    // A path is the command line's, relative to --cwd; a URL (file:…) is taken as it is.
    modules[name] = /^[a-z][a-z0-9+.-]+:/i.test(module)
      ? module
      : pathToFileURL(resolve(context.cwd, module)).href
  }
  return modules
}
