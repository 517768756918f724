#!/bin/sh
':' //; [ "$TOTE_HUGE_PAGES" = 0 ] || export TOTE_SET_GLIBC_TUNABLES="${GLIBC_TUNABLES-}" GLIBC_TUNABLES="glibc.malloc.hugetlb=1:glibc.malloc.trim_threshold=1073741824:glibc.malloc.mmap_threshold=33554432:glibc.malloc.top_pad=67108864${GLIBC_TUNABLES:+:$GLIBC_TUNABLES}"; [ -z "${NODE_EXTRA_CA_CERTS-}" ] || { export TOTE_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"; unset NODE_EXTRA_CA_CERTS; }; exec node "$0" "$@"
// The one entry point: the bundled CLI, built by `pnpm build` (see apps/cli/README.md).
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import v8 from 'node:v8'
import vm from 'node:vm'

// Line 2 is read by sh, which the `tote` command runs (npm links the bin; the kernel reads `#!`),
// and Node sees a string and a comment. It starts Node with glibc malloc tunables, which are read
// only when a process starts: the heap backed by transparent huge pages (one fault per 2 MiB
// instead of per 4 KiB: ~20 µs each on the VMs measured), freed memory kept for reuse
// (trim_threshold), blocks under 32 MiB taken from that heap (mmap_threshold) and the heap grown
// 64 MiB at a time (top_pad). The user's own GLIBC_TUNABLES come after, so they win; TOTE_HUGE_PAGES=0
// leaves the environment alone. apps/cli/README.md, "Huge pages", has the measurements.
const SET_BY_TOTE = 'TOTE_SET_GLIBC_TUNABLES'
// Put GLIBC_TUNABLES back as it was, so that nothing this process starts inherits the tunables.
if (process.env[SET_BY_TOTE] !== undefined) {
  if (process.env[SET_BY_TOTE] === '') delete process.env.GLIBC_TUNABLES
  else process.env.GLIBC_TUNABLES = process.env[SET_BY_TOTE]
  delete process.env[SET_BY_TOTE]
}
// Line 2 also keeps NODE_EXTRA_CA_CERTS from Node, which would parse the file at every start-up
// (~0.1 s of CPU for a system bundle of 140 certificates) whether or not the command connects
// anywhere: it hands the file to the registry client instead, which reads it when its first
// connection opens. Put back for what this process starts.
const MOVED_CA = 'TOTE_EXTRA_CA_CERTS'
const extraCaFile = process.env[MOVED_CA]
if (extraCaFile !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = extraCaFile
  delete process.env[MOVED_CA]
}

const args = process.argv.slice(2)

// undici parses HTTP with llhttp compiled to WebAssembly, and V8 recompiles its hot parser
// function with TurboFan in the background: 28% of a resolve's page faults (vite-react-ts, perf)
// for a parser that only reads headers and counts body bytes. Baseline (Liftoff) code does.
// Set before the bundle is compiled: V8 ties a code cache to the flags.
v8.setFlagsFromString('--liftoff-only')
/**
 * The commands with a code cache of their own (aliases share their command's): those that run on a
 * warm project and whose time people notice. The rest share one, written by whichever ran first.
 */
const CACHED_COMMANDS = new Map(
  Object.entries({
    install: 'install',
    i: 'install',
    ci: 'ci',
    'clean-install': 'ci',
    add: 'add',
    remove: 'remove',
    rm: 'remove',
    uninstall: 'remove',
    un: 'remove',
    r: 'remove',
    update: 'update',
    up: 'update',
    upgrade: 'update',
  }),
)

let bundle
try {
  bundle = loadBundle(args.find((arg) => !arg.startsWith('-')) ?? 'none')
} catch (error) {
  if (error?.code !== 'ENOENT' || !String(error.path).endsWith('tote.cjs')) throw error
  process.stderr.write('tote: the CLI is not built yet. Run `npm run setup` in the tote repository.\n')
  process.exitCode = 1
}
if (bundle) {
  // import() inside code compiled through node:vm with a code cache fails on Node 20 (the cached
  // script loses its import callback); this module's own import() serves instead.
  await bundle.cli.main(args, { importModule: (specifier) => import(specifier), extraCaFile })
  if (!process.exitCode) bundle.saveCodeCache()
}

/**
 * Loads dist/tote.cjs with a V8 code cache: compiling the bundle (undici, npm's config loader, the
 * stages) costs ~180 ms of a start-up without one. The cache is written after a run that had none
 * (or whose cache V8 turned down: another Node.js, another build) and succeeded, so it also holds
 * the functions that the command compiled; one cache per command, since each runs different code.
 * It sits next to the bundle, or in the temp folder when that is read-only. Its name carries the
 * bundle's size and time, so that a rebuilt bundle never meets an old cache.
 */
function loadBundle(command) {
  const file = fileURLToPath(new URL('../dist/tote.cjs', import.meta.url))
  // ASCII only (build.mjs checks), and latin1 decodes faster than UTF-8.
  const source = readFileSync(file, 'latin1')
  const { size, mtimeMs } = statSync(file)
  const known = CACHED_COMMANDS.get(command) ?? 'other'
  // V8 turns a cache down when its flags differ: runs with other flags keep a cache of their own.
  const flags = process.execArgv.length === 0 ? '' : `-${hash(process.execArgv.join(' '))}`
  const name = `${known}-${size}-${Math.trunc(mtimeMs)}-${process.version}-${process.arch}${flags}.bin`
  const folders =
    process.env.TOTE_CODE_CACHE === '0'
      ? []
      : [
          join(dirname(file), '.code-cache'),
          join(tmpdir(), `tote-code-cache-${process.getuid?.() ?? 'user'}`),
        ]
  let cachedData
  for (const folder of folders) {
    try {
      cachedData = readFileSync(join(folder, name))
      break
    } catch {}
  }
  // The wrapper sits on a line of its own (lineOffset -1), so that positions in stack traces and
  // in the source map stay those of the file.
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname) {\n${source}\n})`,
    {
      filename: file,
      lineOffset: -1,
      cachedData,
    },
  )
  const module = { exports: {} }
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file))
  return {
    cli: module.exports,
    saveCodeCache() {
      if (script.cachedDataRejected === false) return
      const data = script.createCachedData()
      for (const folder of folders) {
        const temp = join(folder, `${name}.${process.pid}.tmp`)
        try {
          mkdirSync(folder, { recursive: true })
          writeFileSync(temp, data)
          renameSync(temp, join(folder, name))
          return
        } catch {}
      }
    },
  }
}

/** A short, stable name for a string (the V8 flags in a cache file's name). */
function hash(text) {
  let value = 0
  for (let i = 0; i < text.length; i++) value = (Math.imul(value, 31) + text.charCodeAt(i)) | 0
  return (value >>> 0).toString(36)
}
