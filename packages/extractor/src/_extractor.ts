import { extractTarballSync } from './_extract.js'
import type { Extractor, ExtractorOptions } from './types.js'

/**
 * The extractor as a stage: what the scheduler creates in each of its worker threads from this
 * package's module (`ExtractorStage` in @tote/types). The threads are the scheduler's; this runs on
 * whichever thread calls it.
 */
export function createExtractor(_options: ExtractorOptions = {}): Extractor {
  return { extractSync: extractTarballSync }
}
