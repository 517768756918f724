// Creates the stages a thread runs, from the modules the scheduler was given: once per thread and
// set of stages. This memo holds stage objects, never a task's state: every call gets its task's
// warning sink as an argument.
import type { ClonerStage, ContentCacheStage, ExtractorStage } from '@tote/types'
import { ToteError } from '@tote/types'
import type { TaskStages } from './_task.js'
import type { StageFactories } from './types.js'

/** Loads a module by URL; `import()` unless the host gives another way (SchedulerOptions.importModule). */
export type ImportModule = (specifier: string) => Promise<unknown>

export const importModule: ImportModule = (specifier) => import(specifier)

/** The stages of one thread. */
export interface LoadedStages {
  extractor: ExtractorStage
  contentCache: ContentCacheStage
  cloner: ClonerStage
}

type StageName = keyof LoadedStages

/** What each stage's module must export, and the functions its product must have. */
const CONTRACTS: Record<StageName, { factory: keyof StageFactories; functions: string[] }> = {
  extractor: { factory: 'createExtractor', functions: ['extractSync'] },
  contentCache: { factory: 'createContentCache', functions: ['has', 'lookupSync', 'addSync', 'removeSync'] },
  cloner: { factory: 'createCloner', functions: ['cloneSync'] },
}

const created = new Map<string, Promise<unknown>>()

/** One stage of `stages`, created on first use in this thread. */
export function loadStage<Name extends StageName>(
  stages: TaskStages,
  name: Name,
  load: ImportModule,
): Promise<LoadedStages[Name]> {
  const memo = `${stages.key}\0${name}`
  let stage = created.get(memo)
  if (!stage) {
    stage = createStage(name, stages[name], load)
    created.set(memo, stage)
  }
  return stage as Promise<LoadedStages[Name]>
}

/**
 * The stages a worker task needs: every one for an unpack; a clone task never extracts, so its
 * thread does not load the extractor (nor what it imports) until an unpack needs it.
 */
export async function loadStages(
  stages: TaskStages,
  load: ImportModule,
  kind: 'unpack' | 'clone' = 'unpack',
): Promise<LoadedStages> {
  const [extractor, contentCache, cloner] = await Promise.all([
    kind === 'unpack' ? loadStage(stages, 'extractor', load) : undefined,
    loadStage(stages, 'contentCache', load),
    loadStage(stages, 'cloner', load),
  ])
  return {
    get extractor(): ExtractorStage {
      if (extractor === undefined) throw new Error('a clone task has no extractor')
      return extractor
    },
    contentCache,
    cloner,
  }
}

async function createStage(
  name: StageName,
  { module, options }: { module: string; options: Record<string, unknown> },
  load: ImportModule,
): Promise<unknown> {
  const { factory, functions } = CONTRACTS[name]
  const hint = `Name a module that exports ${factory}(options), as the scheduler's README describes ("Stages").`
  let loaded: unknown
  try {
    loaded = await load(module)
  } catch (error) {
    throw new ToteError('ESTAGEMODULE', `Could not load the ${name} module ${module}: ${String(error)}`, {
      hint,
      cause: error,
      details: { stage: name, module },
    })
  }
  const create = (loaded as Partial<Record<string, unknown>> | undefined)?.[factory]
  if (typeof create !== 'function') {
    throw new ToteError('ESTAGEMODULE', `The ${name} module ${module} does not export ${factory}(options)`, {
      hint,
      details: { stage: name, module },
    })
  }
  const stage = (await create(options)) as Record<string, unknown> | undefined
  const lacking = functions.filter((fn) => typeof stage?.[fn] !== 'function')
  if (lacking.length > 0) {
    throw new ToteError(
      'ESTAGEMODULE',
      `${factory}() of ${module} returned no ${lacking.join(', ')} function${lacking.length > 1 ? 's' : ''}`,
      { hint, details: { stage: name, module, lacking } },
    )
  }
  return stage
}
