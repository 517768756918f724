import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { threadId } from 'node:worker_threads'
import type { StaleTempFileOptions } from '@tote/types'
import { removeStaleTempFilesIn, removeTempFilesOfSync, tempFileOwnerFrom } from '@tote/types'
import type { EngineState } from './_engine.js'
import type { ConcreteCloneStrategy } from './types.js'

/** Where `auto` keeps its findings, inside the cloner's `stateDir`. */
export const STRATEGY_FILE = 'clone-strategy.json'

interface StrategyFile {
  version: 1
  /** `<device of the cache>:<device of node_modules>` → the strategy that worked there. */
  pairs: Record<string, ConcreteCloneStrategy>
}

const STRATEGIES = new Set<string>(['reflink', 'hardlink', 'copy'])

/** What an earlier run found for this device pair, or undefined (also for a missing or garbled file). */
export function recallStrategy(stateDir: string, pairKey: string): ConcreteCloneStrategy | undefined {
  const found = readPairs(stateDir)[pairKey]
  return found !== undefined && STRATEGIES.has(found) ? found : undefined
}

/** Writes the finding for this device pair (atomically, keeping other pairs). */
export function rememberStrategy(stateDir: string, pairKey: string, strategy: ConcreteCloneStrategy): void {
  const file: StrategyFile = { version: 1, pairs: { ...readPairs(stateDir), [pairKey]: strategy } }
  mkdirSync(stateDir, { recursive: true })
  const temporary = temporaryFileFor(stateDir)
  writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`)
  renameSync(temporary, join(stateDir, STRATEGY_FILE))
}

/**
 * Where rememberStrategy writes before its rename: `clone-strategy.json.<pid>.<thread>-<random>.tmp`.
 * Unique to the thread and the call: the worker threads of one install find a strategy at the same
 * moment, and with one name per millisecond the second rename found the first had taken the file.
 */
export function temporaryFileFor(stateDir: string, pid = process.pid): string {
  return join(stateDir, `${STRATEGY_FILE}.${pid}.${threadId}-${randomBytes(4).toString('hex')}.tmp`)
}

// Also the names of older versions: `clone-strategy.json.<pid>.<ms>.tmp`.
const temporaryFileOwner = tempFileOwnerFrom(/^clone-strategy\.json\.(\d+)\.[0-9a-f-]+\.tmp$/)

/**
 * Removes the temporary files that killed processes left in `stateDir` while remembering a
 * strategy: those whose process is gone from this host (once a minute old) and any older than
 * `olderThanMinutes` (60); a live writer's are never touched (the rule is `isStaleTempFile` in
 * @tote/types). Resolves to how many were removed.
 */
export function removeStaleTempFiles(stateDir: string, options: StaleTempFileOptions = {}): Promise<number> {
  return removeStaleTempFilesIn(stateDir, temporaryFileOwner, options)
}

/**
 * Removes the temporary files of process `pid` (default: this one) in `stateDir`, whatever their
 * age, at once: for a process that cleans up before it exits. Returns how many.
 */
export function removeOwnTempFilesSync(stateDir: string, pid = process.pid): number {
  return removeTempFilesOfSync(stateDir, temporaryFileOwner, pid)
}

/** The engine state that skips probing for a remembered strategy. */
export function stateFor(strategy: ConcreteCloneStrategy): EngineState {
  if (strategy === 'reflink') return { reflink: 'assumed', hardlink: 'unknown' }
  if (strategy === 'hardlink') return { reflink: 'fails', hardlink: 'assumed' }
  return { reflink: 'fails', hardlink: 'fails' }
}

function readPairs(stateDir: string): Record<string, ConcreteCloneStrategy> {
  try {
    const parsed = JSON.parse(readFileSync(join(stateDir, STRATEGY_FILE), 'utf8')) as Partial<StrategyFile>
    return parsed.version === 1 && parsed.pairs && typeof parsed.pairs === 'object' ? parsed.pairs : {}
  } catch {
    return {}
  }
}
