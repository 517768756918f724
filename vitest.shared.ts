import { defineConfig } from 'vitest/config'

/**
 * Every package's tests run from TypeScript sources: workspace packages resolve through the
 * `source` export condition, so no build step is needed before `vitest`.
 */
export const sharedConfig = defineConfig({
  resolve: { conditions: ['source', 'module', 'node', 'import', 'default'] },
  ssr: {
    resolve: {
      conditions: ['source', 'module', 'node', 'import', 'default'],
      externalConditions: ['source'],
    },
  },
  test: {
    environment: 'node',
    // Generous: some tests are exhaustive (every cut of a tar), and CI machines are shared.
    testTimeout: 120_000,
    hookTimeout: 30_000,
  },
})
