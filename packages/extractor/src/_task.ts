import type { PackageFile, StageWarning } from '@tote/types'

/** What the pool sends a worker: the tarball's ArrayBuffer is transferred, not copied. */
export interface ExtractTask {
  tarball: ArrayBuffer
  destDir: string
  packageId?: string
  hashFiles?: boolean
}

/** What a worker sends back. ToteErrors travel as fields: structured clone keeps only an Error's message. */
export type ExtractTaskResult =
  | { ok: true; files: PackageFile[]; warnings: StageWarning[] }
  | { ok: false; error: { code: string; message: string; hint?: string; details: Record<string, unknown> } }
