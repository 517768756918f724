declare const TOTE_BUNDLED: boolean | undefined

/**
 * Worker modules shipped next to the bundle (build.mjs emits them under dist/workers/). From
 * TypeScript sources (tests) each stage finds its own worker, so these are undefined.
 */
export const workerFiles: { scheduler?: URL; registry?: URL; registryScan?: URL } =
  typeof TOTE_BUNDLED !== 'undefined' && TOTE_BUNDLED
    ? {
        scheduler: new URL(
          `${import.meta.url.includes('/chunks/') ? '..' : '.'}/workers/scheduler.js`,
          import.meta.url,
        ),
        registry: new URL(
          `${import.meta.url.includes('/chunks/') ? '..' : '.'}/workers/registry.js`,
          import.meta.url,
        ),
        registryScan: new URL(
          `${import.meta.url.includes('/chunks/') ? '..' : '.'}/workers/registry-scan.js`,
          import.meta.url,
        ),
      }
    : {}
