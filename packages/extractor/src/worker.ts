// The worker-thread entry point of the extractor pool. Bundlers must ship it as its own file
// (see README, "Bundling"): the pool loads it by path.

import type { StageWarning } from '@tote/types'
import { isToteError } from '@tote/types'
import { extractTarballSync } from './_extract.js'
import type { ExtractTask, ExtractTaskResult } from './_task.js'

export default function extractTask(task: ExtractTask): ExtractTaskResult {
  const warnings: StageWarning[] = []
  try {
    const { files } = extractTarballSync(new Uint8Array(task.tarball), task.destDir, {
      onWarning: (warning) => warnings.push(warning),
      ...(task.packageId === undefined ? {} : { packageId: task.packageId }),
      ...(task.hashFiles ? { hashFiles: true } : {}),
    })
    return { ok: true, files, warnings }
  } catch (error) {
    if (!isToteError(error)) throw error // a programmer error: the pool rejects with it
    const { code, message, hint, details } = error
    return { ok: false, error: { code, message, details, ...(hint === undefined ? {} : { hint }) } }
  }
}
