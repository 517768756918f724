// Bundles the CLI: one small entry (argument parsing, help, the command table) and one chunk per
// command, loaded only when that command runs, so `tote --version` parses almost nothing. Worker
// threads need files of their own: the stages' workers go to dist/workers/, and tinypool's thread
// entry goes where tinypool (bundled into a chunk) looks for it, dist/chunks/entry/worker.js.
import { readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { build } from 'esbuild'

const require = createRequire(import.meta.url)
const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'))
const schedulerDir = dirname(require.resolve('@tote/scheduler/package.json'))
const tinypoolDir = dirname(
  createRequire(join(schedulerDir, 'package.json')).resolve('tinypool/package.json'),
)

rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true })
await build({
  entryPoints: {
    tote: 'src/main.ts',
    'workers/scheduler': '@tote/scheduler/worker',
    'workers/registry': '@tote/registry-client/worker',
    'chunks/entry/worker': join(tinypoolDir, 'dist/entry/worker.js'),
  },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.18',
  conditions: ['source'],
  chunkNames: 'chunks/[name]-[hash]',
  define: { TOTE_VERSION: JSON.stringify(version), TOTE_BUNDLED: 'true' },
  // Bundled CommonJS dependencies call require(); give ESM chunks one.
  banner: {
    js: "import { createRequire as __toteCreateRequire } from 'node:module'; const require = __toteCreateRequire(import.meta.url);",
  },
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
})
