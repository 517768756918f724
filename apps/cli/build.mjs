// Bundles the CLI into one CommonJS file, dist/tote.cjs, which bin/tote.js compiles with a V8 code
// cache (see bin/_load.js): loading undici, npm's config loader and the stages costs ~180 ms of
// compilation on every start without one. Worker threads need files of their own, built as ES
// modules: the scheduler's worker and tote's own stage modules (which
// the scheduler's threads import by URL) go to dist/workers/, and tinypool's thread entry goes where
// tinypool (bundled into dist/tote.cjs) looks for it, next to it: dist/entry/worker.js.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { build } from 'esbuild'

const require = createRequire(import.meta.url)
const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'))
const schedulerDir = dirname(require.resolve('@tote/scheduler/package.json'))
const tinypoolDir = dirname(
  createRequire(join(schedulerDir, 'package.json')).resolve('tinypool/package.json'),
)

const registryClientDir = dirname(require.resolve('@tote/registry-client/package.json'))
const undiciDir = dirname(
  createRequire(join(registryClientDir, 'package.json')).resolve('undici/package.json'),
)

/**
 * The stages take only undici's dispatchers (Agent, EnvHttpProxyAgent). undici's index also loads
 * fetch, WebSocket, cookies, caches and mocks, and through them Node's own copy of undici: ~40 ms
 * of each start-up before the first request (CPU profile, vite-react-ts p1). The bundle gets an
 * `undici` that exports the dispatchers alone; a source that imports anything else from undici
 * fails the build ("No matching export") instead of getting undefined.
 */
const undiciDispatchersOnly = {
  name: 'undici-dispatchers-only',
  setup(bundler) {
    bundler.onResolve({ filter: /^undici$/ }, () => ({ path: 'undici', namespace: 'undici-dispatchers' }))
    bundler.onLoad({ filter: /.*/, namespace: 'undici-dispatchers' }, () => ({
      resolveDir: undiciDir,
      loader: 'js',
      // As undici's index does: the request methods (request, stream…) go on every dispatcher.
      contents: [
        "import api from './lib/api/index.js'",
        "import Agent from './lib/dispatcher/agent.js'",
        "import Dispatcher from './lib/dispatcher/dispatcher.js'",
        "import EnvHttpProxyAgent from './lib/dispatcher/env-http-proxy-agent.js'",
        'Object.assign(Dispatcher.prototype, api)',
        'export { Agent, EnvHttpProxyAgent }',
      ].join('\n'),
    }))
  },
}

/**
 * undici's HTTP/1.1 client requires its HTTP/2 client at load, which loads node:http2 and
 * node:http: ~7 ms of each start-up (CPU profile, vite-react-ts p1) for a protocol tote never
 * offers (the registry client speaks HTTP/1.1 only). The bundle gets a stand-in that requires the
 * real one at its first call; a bundled CommonJS module runs when first required, so node:http2
 * loads only for an HTTP/2 connection.
 */
const undiciHttp2OnFirstUse = {
  name: 'undici-http2-on-first-use',
  setup(bundler) {
    bundler.onResolve({ filter: /^\.\/client-h2\.js$/ }, (args) =>
      args.importer.startsWith(undiciDir)
        ? { path: join(args.resolveDir, 'client-h2.js'), namespace: 'undici-h2-on-first-use' }
        : undefined,
    )
    bundler.onLoad({ filter: /.*/, namespace: 'undici-h2-on-first-use' }, (args) => ({
      resolveDir: dirname(args.path),
      loader: 'js',
      contents: `module.exports = (client, socket) => require(${JSON.stringify(args.path)})(client, socket)`,
    }))
  },
}

const shared = {
  bundle: true,
  plugins: [undiciDispatchersOnly, undiciHttp2OnFirstUse],
  platform: 'node',
  target: 'node20.18',
  conditions: ['source'],
  define: { TOTE_VERSION: JSON.stringify(version), TOTE_BUNDLED: 'true' },
  // ASCII only (esbuild escapes the rest), so that the loader can read the bundle as latin1.
  charset: 'ascii',
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: true,
}

rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true })
const main = await build({
  ...shared,
  entryPoints: { tote: 'src/main.ts' },
  outfile: 'dist/tote.cjs',
  format: 'cjs',
  // Module URLs the sources compute their workers' paths from: the bundle's own.
  define: { ...shared.define, 'import.meta.url': '__toteModuleUrl' },
  banner: { js: "const __toteModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
})
const workers = await build({
  ...shared,
  entryPoints: {
    'workers/scheduler': '@tote/scheduler/worker',
    'workers/extractor': '@tote/extractor',
    'workers/content-cache': '@tote/content-cache',
    'workers/cloner': '@tote/cloner',
    'entry/worker': join(tinypoolDir, 'dist/entry/worker.js'),
  },
  outdir: 'dist',
  splitting: true,
  format: 'esm',
  chunkNames: 'chunks/[name]-[hash]',
  // Bundled CommonJS dependencies call require(); give ESM chunks one.
  banner: {
    js: "import { createRequire as __toteCreateRequire } from 'node:module'; const require = __toteCreateRequire(import.meta.url);",
  },
})

// The loader reads the bundle as latin1: make sure that reads what esbuild wrote.
const bundle = readFileSync(new URL('./dist/tote.cjs', import.meta.url))
const outside = bundle.findIndex((byte) => byte > 0x7f)
if (outside !== -1) throw new Error(`dist/tote.cjs has a non-ASCII byte at offset ${outside}`)

/**
 * The bundle holds code of npm packages (undici, npm's config loader and its dependencies,
 * tinypool, semver…) whose licences ask that their notices travel with every copy:
 * dist/THIRD-PARTY-LICENSES.txt lists each bundled package with its licence file.
 */
function bundledPackages(...metafiles) {
  const folders = new Set()
  for (const metafile of metafiles) {
    for (const input of Object.keys(metafile.inputs)) {
      const path = input.replace(/^[a-z0-9-]+:/, '')
      const at = path.lastIndexOf('node_modules/')
      if (at === -1) continue
      const parts = path.slice(at + 'node_modules/'.length).split('/')
      const name = parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]
      folders.add(resolve(path.slice(0, at), 'node_modules', name))
    }
  }
  return [...folders]
    .map((folder) => {
      const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'))
      const licenceFile = readdirSync(folder).find((file) => /^(licen[cs]e|copying)(\.|$)/i.test(file))
      const text =
        licenceFile === undefined
          ? `(The package ships no licence file; its package.json says ${manifest.license}.)`
          : readFileSync(join(folder, licenceFile), 'utf8').trim()
      return { name: manifest.name, version: manifest.version, license: manifest.license, text }
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

const notices = bundledPackages(main.metafile, workers.metafile).map(
  (bundled) => `${bundled.name}@${bundled.version} (${bundled.license})\n\n${bundled.text}\n`,
)
writeFileSync(
  new URL('./dist/THIRD-PARTY-LICENSES.txt', import.meta.url),
  `dist/tote.cjs and dist/workers bundle the following packages.\n\n${notices.join(`\n${'-'.repeat(72)}\n\n`)}`,
)
