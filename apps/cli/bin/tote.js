#!/usr/bin/env node
// The one entry point: the bundled CLI, built by `pnpm build` (see apps/cli/README.md).
import('../dist/tote.js').then(
  (cli) => cli.main(process.argv.slice(2)),
  (error) => {
    if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/tote.js')) {
      process.stderr.write('tote: the CLI is not built yet. Run `npm run setup` in the tote repository.\n')
      process.exitCode = 1
      return
    }
    throw error
  },
)
