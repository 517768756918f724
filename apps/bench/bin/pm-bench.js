#!/usr/bin/env node
// pm-bench's entry: the tsc-built sources in ../dist (build with `pnpm --filter @tote/bench build`).
import('../dist/main.js').then(
  (bench) => bench.main(process.argv.slice(2)),
  (error) => {
    if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/main.js')) {
      process.stderr.write('pm-bench: not built yet. Run `npx tsc -p tsconfig.build.json` in apps/bench.\n')
      process.exitCode = 1
      return
    }
    throw error
  },
)
