import type { CachedPackage, StageWarning } from '@tote/types'
import { ToteError } from '@tote/types'
import { createCloneEngine, defaultCloneFs, type Warn } from './_engine.js'
import { recallStrategy, rememberStrategy, stateFor } from './_strategy-memory.js'
import type { CloneFs, CloneOptions, Cloner, ClonerOptions, ConcreteCloneStrategy } from './types.js'

/**
 * The cloner: `cloneSync` places one package on the calling thread. It starts no thread: the
 * scheduler calls it in its own worker threads (`ClonerStage` in @tote/types).
 */
export function createCloner(options: ClonerOptions = {}): Cloner {
  const strategy = options.strategy ?? 'auto'
  const fs: CloneFs = { ...defaultCloneFs, ...options.fs }
  const { stateDir } = options

  const seenWarnings = new Set<string>()
  /** Each distinct warning once per cloner, to the call that raised it (or `options.onWarning`). */
  function warnerFor(callOptions: CloneOptions | undefined): Warn {
    const sink = callOptions?.onWarning ?? options.onWarning
    return (warning: StageWarning) => {
      const key = `${warning.code}\0${warning.message}`
      if (seenWarnings.has(key)) return
      seenWarnings.add(key)
      sink?.(warning)
    }
  }

  const engine = createCloneEngine({ strategy, fs })
  /** `<device of the cache>:<device of node_modules>`, read at the first clone when there is a stateDir. */
  let pairKey: string | undefined
  let remembered: ConcreteCloneStrategy | undefined

  function recall(source: CachedPackage, destDir: string): void {
    if (strategy !== 'auto' || stateDir === undefined || pairKey !== undefined) return
    let sourceDevice: number
    try {
      sourceDevice = fs.statSync(source.dir).dev
    } catch (error) {
      throw new ToteError(
        'ECACHEDAMAGED',
        `The cached package ${source.integrity} is missing (${source.dir})`,
        {
          hint: 'The content cache entry is damaged; fetch the package again.',
          cause: error,
          details: { integrity: source.integrity, file: '.', destDir },
        },
      )
    }
    fs.mkdirSync(destDir, { recursive: true })
    pairKey = `${sourceDevice}:${fs.statSync(destDir).dev}`
    remembered = recallStrategy(stateDir, pairKey)
    if (remembered !== undefined) Object.assign(engine.state, stateFor(remembered))
  }

  function remember(warn: Warn): void {
    if (stateDir === undefined || pairKey === undefined) return
    const found = engine.effectiveStrategy()
    if (found === undefined || found === remembered) return
    remembered = found
    try {
      rememberStrategy(stateDir, pairKey, found)
    } catch (error) {
      warn({ code: 'ECLONESTATE', message: `Could not remember the clone strategy in ${stateDir}: ${error}` })
    }
  }

  return {
    get effectiveStrategy() {
      return engine.effectiveStrategy()
    },
    cloneSync(source, destDir, callOptions) {
      const warn = warnerFor(callOptions)
      try {
        recall(source, destDir)
        engine.cloneSync(source, destDir, callOptions?.privateCopy === true, warn)
      } finally {
        remember(warn)
      }
    },
  }
}
