declare const TOTE_BUNDLED: boolean | undefined

/** A module build.mjs emits under dist/workers/, next to the bundle (or its chunks). */
function shipped(name: string): URL {
  return new URL(`${import.meta.url.includes('/chunks/') ? '..' : '.'}/workers/${name}.js`, import.meta.url)
}

/**
 * Worker modules shipped next to the bundle (build.mjs emits them under dist/workers/): the
 * scheduler's worker and tote's own stage modules, which the
 * scheduler's threads import by URL. From TypeScript sources (tests) these are undefined: each
 * stage finds its own worker, and the stage modules are the packages themselves.
 */
export const workerFiles: {
  scheduler?: URL
  extractor?: URL
  contentCache?: URL
  cloner?: URL
} =
  typeof TOTE_BUNDLED !== 'undefined' && TOTE_BUNDLED
    ? {
        scheduler: shipped('scheduler'),
        extractor: shipped('extractor'),
        contentCache: shipped('content-cache'),
        cloner: shipped('cloner'),
      }
    : {}
