// Bundles the CLI: one small entry (argument parsing, help, the command table) and one chunk per
// command, loaded only when that command runs, so `tote --version` parses almost nothing.
import { readFileSync, rmSync } from 'node:fs'
import { build } from 'esbuild'

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'))
rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true })
await build({
  entryPoints: { tote: 'src/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.18',
  conditions: ['source'],
  chunkNames: 'chunks/[name]-[hash]',
  define: { TOTE_VERSION: JSON.stringify(version) },
  // Bundled CommonJS dependencies call require(); give ESM chunks one.
  banner: {
    js: "import { createRequire as __toteCreateRequire } from 'node:module'; const require = __toteCreateRequire(import.meta.url);",
  },
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
})
