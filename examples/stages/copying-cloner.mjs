// A cloner stage that copies every file, in plain Node.js: the simplest cloner there is, to compare
// tote's with (`auto`: reflinks, else hard links, else copies).
//
//   tote install --cloner ./examples/stages/copying-cloner.mjs
//   tote install --stage cloner=./examples/stages/copying-cloner.mjs   (the same)
//
// The scheduler imports this module in each of its worker threads and calls createCloner(options)
// there, then cloneSync for every package (ClonerStage in @tote/types). options are plain data
// (strategy, stateDir): this cloner needs neither.
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'

export function createCloner() {
  return {
    /** Puts every file of `source.files` (a cached package) under `destDir`, with its mode. */
    cloneSync(source, destDir) {
      mkdirSync(destDir, { recursive: true })
      const made = new Set([destDir])
      for (const file of source.files) {
        const to = join(destDir, file.path)
        const folder = dirname(to)
        if (!made.has(folder)) {
          mkdirSync(folder, { recursive: true })
          made.add(folder)
        }
        copyFileSync(join(source.dir, file.path), to)
        chmodSync(to, file.mode)
      }
    },
  }
}
