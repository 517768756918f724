#!/usr/bin/env node
// The one entry point: the bundled CLI, built by `pnpm build` (see apps/cli/README.md).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// Resolving keeps every registry document it reads in memory (hundreds of MB for a large project),
// and on Linux every fresh 4 KiB page costs a fault; glibc's malloc takes transparent huge pages
// when this tunable asks for it (2 MiB per fault). A tunable is read when a process starts, so an
// install that will resolve starts itself again with it: ~0.15 s for a second Node start-up, which
// resolving pays back (vite-react-ts p1 1.98 -> 1.69 s, ant-design 8.43 -> 7.15 s; apps/cli/README.md,
// "Huge pages"). Setting the tunable in the environment, or TOTE_HUGE_PAGES=0, skips the restart.
const HUGE_PAGES = 'glibc.malloc.hugetlb=1'
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
  import('../dist/tote.js').then(
    (cli) => cli.main(args),
    (error) => {
      if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/tote.js')) {
        process.stderr.write('tote: the CLI is not built yet. Run `npm run setup` in the tote repository.\n')
        process.exitCode = 1
        return
      }
      throw error
    },
  )
}
