#!/usr/bin/env node
// The one entry point: the bundled CLI, built by `pnpm build` (see apps/cli/README.md).
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import v8 from 'node:v8'
import vm from 'node:vm'

// Resolving keeps every registry document it reads in memory (hundreds of MB for a large project),
// and on Linux every fresh 4 KiB page costs a fault; glibc's malloc takes transparent huge pages
// when this tunable asks for it (2 MiB per fault). A tunable is read when a process starts, so an
// install that will resolve starts itself again with it: ~0.15 s for a second Node start-up, which
// resolving pays back (vite-react-ts p1 1.98 -> 1.69 s, ant-design 8.43 -> 7.15 s; apps/cli/README.md,
// "Huge pages"). Setting the tunable in the environment, or TOTE_HUGE_PAGES=0, skips the restart.
const HUGE_PAGES = [
  'glibc.malloc.hugetlb=1',
  // Memory freed is kept for reuse instead of being handed back (and faulted in again): a fresh
  // page costs ~20 µs on the VMs measured. trim_threshold: never shrink the heap; mmap_threshold:
  // blocks under 32 MiB come from the heap, not from a mapping of their own; top_pad: the heap
  // grows 64 MiB at a time, so that huge pages can back it.
  'glibc.malloc.trim_threshold=1073741824',
  'glibc.malloc.mmap_threshold=33554432',
  'glibc.malloc.top_pad=67108864',
].join(':')
const SET_BY_TOTE = 'TOTE_SET_GLIBC_TUNABLES'

function willResolve(args) {
  const command = args.find((arg) => !arg.startsWith('-'))
  if (command !== 'install' && command !== 'i') return false
  return args.includes('--lockfile-only') || !existsSync(join(process.cwd(), 'package-lock.json'))
}

async function restartWithHugePages(args) {
  const { spawn } = await import('node:child_process')
  const tunables = process.env.GLIBC_TUNABLES
  const env = {
    ...process.env,
    GLIBC_TUNABLES: tunables ? `${tunables}:${HUGE_PAGES}` : HUGE_PAGES,
    // The restarted process puts the variable back as it was, so that nothing it starts inherits it.
    [SET_BY_TOTE]: tunables === undefined ? '' : tunables,
  }
  const script = fileURLToPath(import.meta.url)
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], { stdio: 'inherit', env })
  // A terminal's Ctrl-C reaches both processes; a signal sent to this one alone is passed on.
  const forward = (signal) => child.kill(signal)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward)
  child.on('error', (error) => {
    process.stderr.write(`tote: could not start ${process.execPath}: ${error.message}\n`)
    process.exitCode = 1
  })
  child.on('exit', (code, signal) => {
    for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(name, forward)
    if (signal) process.kill(process.pid, signal)
    else process.exitCode = code ?? 1
  })
}

const args = process.argv.slice(2)
const restarted = process.env[SET_BY_TOTE] !== undefined
if (restarted) {
  if (process.env[SET_BY_TOTE] === '') delete process.env.GLIBC_TUNABLES
  else process.env.GLIBC_TUNABLES = process.env[SET_BY_TOTE]
  delete process.env[SET_BY_TOTE]
}

if (
  !restarted &&
  process.platform === 'linux' &&
  process.env.TOTE_HUGE_PAGES !== '0' &&
  !process.env.GLIBC_TUNABLES?.includes('glibc.malloc.hugetlb') &&
  willResolve(args)
) {
  await restartWithHugePages(args)
} else {
  // undici parses HTTP with llhttp compiled to WebAssembly, and V8 recompiles its hot parser
  // function with TurboFan in the background: 28% of a resolve's page faults (vite-react-ts, perf)
  // for a parser that only reads headers and counts body bytes. Baseline (Liftoff) code does.
  // Set before the bundle is compiled: V8 ties a code cache to the flags.
  v8.setFlagsFromString('--liftoff-only')
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
    await bundle.cli.main(args, { importModule: (specifier) => import(specifier) })
    if (!process.exitCode) bundle.saveCodeCache()
  }
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
  const known = ['install', 'i', 'ci'].includes(command) ? command : 'other'
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
