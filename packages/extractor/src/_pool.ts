import type { StageWarning } from '@tote/types'
import { ToteError } from '@tote/types'
import Tinypool from 'tinypool'
import { extractTarballSync } from './_extract.js'
import type { ExtractTask, ExtractTaskResult } from './_task.js'
import type { ExtractOptions, Extractor, ExtractorOptions, PooledExtractResult } from './types.js'

/** What `workers: 'auto'` means; chosen by measurement (README, Measurements). */
const AUTO_WORKERS: number | false = false

const fromSource = import.meta.url.endsWith('.ts')

/**
 * The file the worker pool runs: `worker.js` next to this module in the built package (and next to
 * the bundle when a bundler inlined this module: ship `@tote/extractor/worker` there as `worker.js`,
 * or pass `workerFile`). From TypeScript sources, a shim that loads `worker.ts` through tsx.
 */
export function extractorWorkerFile(): URL {
  return new URL(fromSource ? './_worker-from-source.mjs' : './worker.js', import.meta.url)
}

/** Creates an extractor that unpacks in `workers` worker threads, or on the calling thread. */
export function createExtractor(options: ExtractorOptions = {}): Extractor {
  const requested = options.workers ?? 'auto'
  const workers = requested === 'auto' ? AUTO_WORKERS : requested
  if (workers === false || workers <= 0) return mainThreadExtractor()

  const filename = options.workerFile ?? extractorWorkerFile()
  const pool = new Tinypool({
    filename: filename instanceof URL ? filename.href : filename,
    minThreads: workers,
    maxThreads: workers,
    // From sources, worker threads must resolve workspace packages to their TypeScript too.
    ...(fromSource && options.workerFile === undefined ? { execArgv: ['--conditions=source'] } : {}),
  })
  return {
    async extract(tarball, destDir, extractOptions = {}) {
      // Transfer the tarball's memory when it owns it whole; a view into a shared or larger buffer
      // (a pooled Buffer) must be copied, or transferring would detach its neighbours.
      const owned =
        tarball.buffer instanceof ArrayBuffer &&
        tarball.byteOffset === 0 &&
        tarball.byteLength === tarball.buffer.byteLength
      // (new Uint8Array(view) copies; Buffer#slice would not: it returns a view of the same memory.)
      const buffer = owned ? (tarball.buffer as ArrayBuffer) : new Uint8Array(tarball).buffer
      const task: ExtractTask = { tarball: buffer, destDir }
      if (extractOptions.packageId !== undefined) task.packageId = extractOptions.packageId
      if (extractOptions.hashFiles) task.hashFiles = true
      const result = (await pool.run(task, { transferList: [buffer] })) as ExtractTaskResult
      if (!result.ok) {
        const { code, message, hint, details } = result.error
        throw new ToteError(code, message, { details, ...(hint === undefined ? {} : { hint }) })
      }
      for (const warning of result.warnings) extractOptions.onWarning?.(warning)
      return { files: result.files, warnings: result.warnings }
    },
    close: () => pool.destroy(),
  }
}

function mainThreadExtractor(): Extractor {
  return {
    async extract(tarball, destDir, extractOptions: ExtractOptions = {}): Promise<PooledExtractResult> {
      const warnings: StageWarning[] = []
      const { files } = extractTarballSync(tarball, destDir, {
        ...extractOptions,
        onWarning(warning) {
          warnings.push(warning)
          extractOptions.onWarning?.(warning)
        },
      })
      return { files, warnings }
    },
    async close() {},
  }
}
