declare const TOTE_BUNDLED: boolean | undefined

/**
 * Worker modules shipped next to the bundle (build.mjs emits them under dist/workers/). From
 * TypeScript sources (tests) each stage finds its own worker, so these are undefined.
 */
export const workerFiles: { scheduler?: URL } =
  typeof TOTE_BUNDLED !== 'undefined' && TOTE_BUNDLED
    ? {
        scheduler: new URL(
          `${import.meta.url.includes('/chunks/') ? '..' : '.'}/workers/scheduler.js`,
          import.meta.url,
        ),
      }
    : {}
