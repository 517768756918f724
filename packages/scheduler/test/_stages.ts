// tote's own stage packages, as the tests give them to the scheduler: their TypeScript sources.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { SchedulerStages } from '../src/index.js'

const require = createRequire(import.meta.url)

/** A stage package's TypeScript entry (its `source` export) as a file URL: workers load it through tsx. */
export function sourceOf(name: string): string {
  const manifest = require.resolve(`${name}/package.json`)
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: { '.': { source: string } } }
  return pathToFileURL(join(dirname(manifest), exports['.'].source)).href
}

/** tote's own stages over `cacheDir`, as the CLI composes them, with `changes` swapped in. */
export function stages(cacheDir: string, changes: Partial<SchedulerStages> = {}): SchedulerStages {
  return {
    extractor: { module: sourceOf('@tote/extractor') },
    contentCache: { module: sourceOf('@tote/content-cache'), options: { dir: cacheDir } },
    cloner: { module: sourceOf('@tote/cloner'), options: { strategy: 'auto', stateDir: cacheDir } },
    ...changes,
  }
}
