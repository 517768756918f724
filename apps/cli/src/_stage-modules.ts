// The stages an install runs, by module: tote's own unless the command line names others
// (`--stage name=module`, `--cloner module`). The scheduler imports none of them; this file is where
// tote's packages are named.
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import * as cloner from '@tote/cloner'
import * as contentCache from '@tote/content-cache'
import * as extractor from '@tote/extractor'
import type { SchedulerStages } from '@tote/scheduler'
import { workerFiles } from './_workers.js'

/** `--stage` names: the worker stages (the scheduler's keys), and the downloader on the main thread. */
export const STAGE_NAMES = {
  downloader: 'createDownloader',
  extractor: 'createExtractor',
  'content-cache': 'createContentCache',
  cloner: 'createCloner',
} as const

export type StageName = keyof typeof STAGE_NAMES

/** Module URLs given on the command line, by stage. */
export type StageModules = Partial<Record<StageName, string>>

export type ImportModule = (specifier: string) => Promise<unknown>

/** tote's own worker stages: the modules next to the bundle, or (from sources) the packages' builds. */
function ownModules(): Record<keyof SchedulerStages, string> {
  const require = createRequire(import.meta.url)
  const of = (shipped: URL | undefined, name: string) =>
    (shipped ?? pathToFileURL(require.resolve(name))).href
  return {
    extractor: of(workerFiles.extractor, '@tote/extractor'),
    contentCache: of(workerFiles.contentCache, '@tote/content-cache'),
    cloner: of(workerFiles.cloner, '@tote/cloner'),
  }
}

/** The modules of the worker stages, `chosen` over tote's own. */
export function stageModules(chosen: StageModules): Record<keyof SchedulerStages, string> {
  const own = ownModules()
  return {
    extractor: chosen.extractor ?? own.extractor,
    contentCache: chosen['content-cache'] ?? own.contentCache,
    cloner: chosen.cloner ?? own.cloner,
  }
}

/**
 * `import()` for the scheduler's calling thread, which answers tote's own stage modules with the
 * copies already in this bundle: small installs run the stages on the main thread, and loading a
 * second copy from dist/workers/ would cost start-up time for the same code.
 */
export function stageImporter(host: ImportModule | undefined): ImportModule {
  const own = ownModules()
  const bundled = new Map<string, unknown>([
    [own.extractor, extractor],
    [own.contentCache, contentCache],
    [own.cloner, cloner],
  ])
  return (specifier) => {
    if (bundled.has(specifier)) return Promise.resolve(bundled.get(specifier))
    return host ? host(specifier) : import(specifier)
  }
}
