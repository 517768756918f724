// An extractor stage that wraps tote's own and counts what it writes: one line per package,
// `<name@version> <files> <bytes>`, appended to the file that COUNTING_EXTRACTOR_LOG names (when
// it is set). A stage can be measured, or changed, without touching the scheduler.
//
//   tote install --stage extractor=./examples/stages/counting-extractor.mjs
//
// The scheduler imports this module in each of its worker threads and calls createExtractor(options)
// there, then extractSync for every tarball it unpacks into the content cache (ExtractorStage in
// @tote/types). Each call's warnings go to that call's onWarning, passed on as they are.
import { appendFileSync } from 'node:fs'
// tote's own extractor, as built in this repository (`npm run setup`); elsewhere: '@tote/extractor'.
import { createExtractor as createToteExtractor } from '../../packages/extractor/dist/index.js'

export function createExtractor(options) {
  const tote = createToteExtractor(options)
  const log = process.env.COUNTING_EXTRACTOR_LOG
  return {
    extractSync(tarball, destDir, callOptions = {}) {
      const result = tote.extractSync(tarball, destDir, callOptions)
      if (log) {
        let bytes = 0
        for (const file of result.files) bytes += file.size
        // One write per line (O_APPEND): lines from several threads do not mix.
        appendFileSync(log, `${callOptions.packageId ?? destDir} ${result.files.length} ${bytes}\n`)
      }
      return result
    },
  }
}
