// Re-derives npm-peer-conflicts.json: runs the npm on PATH on every case of _peer-conflict-cases.ts in
// every mode, against @tote/test-registry, and records what it did (exit code, ERESOLVE or not, its
// warnings, and the lockfile it wrote, the registry URL replaced by `{registry}`).
// Run (after `pnpm build`): node --import tsx test/derive-peer-conflicts.ts [--check]
// --check compares with the recorded file instead of writing it (exit 1 on a difference).
import { execFile, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestRegistry } from '@tote/test-registry'
import { CASES, MODES, type Mode, projectOf } from './_peer-conflict-cases.js'

export interface NpmOutcome {
  exit: number
  /** npm was stopped after NPM_TIMEOUT_MS. */
  timedOut?: boolean
  eresolve: boolean
  /** npm's ERESOLVE report (fatal) or its `overriding peer dependency` warnings, trimmed of the log prefix. */
  report: string[]
  /** The lockfile npm wrote, registry URL replaced by `{registry}`; absent when npm failed. */
  lockfile?: string
}

// npm 11.19.1 never finishes some cases (it loops, growing its memory): such a run is recorded as
// timed out
const NPM_TIMEOUT_MS = 60_000

const recordedPath = new URL('./npm-peer-conflicts.json', import.meta.url)
const npmVersion = spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim()
const command = 'npm install --package-lock-only --ignore-scripts --no-audit --no-fund [mode flag]'

/** npm's report lines, without npm's prefix, blank lines, and the lines naming its log files. */
function reportLines(stderr: string, scratchDir: string): string[] {
  return stderr
    .split('\n')
    .map((line) => line.replace(/^npm (error|warn) ?/, '').trimEnd())
    .filter(
      (line) =>
        line !== '' && !line.includes(scratchDir) && !/^(For a full report|A complete log)/.test(line),
    )
}

function npm(
  args: string[],
  cwd: string,
  home: string,
): Promise<{ status: number; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const options = {
      cwd,
      env: { PATH: process.env.PATH, HOME: home },
      timeout: NPM_TIMEOUT_MS,
      killSignal: 'SIGKILL' as const,
    }
    execFile('npm', args, options, (error, _stdout, stderr) => {
      const code = (error as { code?: unknown } | null)?.code
      const timedOut = (error as { killed?: boolean } | null)?.killed === true
      resolve({ status: error ? (typeof code === 'number' ? code : 1) : 0, stderr, timedOut })
    })
  })
}

async function run(): Promise<Record<string, Record<Mode, NpmOutcome>>> {
  const results: Record<string, Record<Mode, NpmOutcome>> = {}
  const base = mkdtempSync(join(tmpdir(), 'tote-peer-oracle-'))
  try {
    for (const c of CASES) {
      const registry = await createTestRegistry({ packages: c.packages })
      try {
        const byMode = {} as Record<Mode, NpmOutcome>
        for (const [mode, flags] of Object.entries(MODES) as [Mode, readonly string[]][]) {
          const dir = join(base, c.name, mode)
          mkdirSync(dir, { recursive: true })
          writeFileSync(join(dir, 'package.json'), `${JSON.stringify(projectOf(c), null, 2)}\n`)
          writeFileSync(join(dir, '.npmrc'), '')
          // asynchronously: the registry answers from this process
          const result = await npm(
            [
              'install',
              '--package-lock-only',
              '--ignore-scripts',
              '--no-audit',
              '--no-fund',
              '--registry',
              registry.url,
              '--cache',
              join(base, 'cache', c.name, mode),
              '--userconfig',
              join(dir, '.npmrc'),
              ...flags,
            ],
            dir,
            base,
          )
          const exit = result.status ?? 1
          let lockfile: string | undefined
          if (exit === 0) {
            lockfile = readFileSync(join(dir, 'package-lock.json'), 'utf8')
              .split(registry.url)
              .join('{registry}')
          }
          byMode[mode] = {
            exit,
            ...(result.timedOut ? { timedOut: true } : {}),
            eresolve: /code ERESOLVE/.test(result.stderr),
            report: reportLines(result.stderr, base),
            ...(lockfile === undefined ? {} : { lockfile }),
          }
        }
        results[c.name] = byMode
      } finally {
        await registry.close()
      }
    }
  } finally {
    rmSync(base, { recursive: true, force: true })
  }
  return results
}

const results = await run()
const file = { npm: npmVersion, command, results }
const text = `${JSON.stringify(file, null, 2)}\n`
if (process.argv.includes('--check')) {
  const recorded = readFileSync(recordedPath, 'utf8')
  const same = JSON.stringify(JSON.parse(recorded).results) === JSON.stringify(results)
  console.log(same ? `npm ${npmVersion} does what is recorded` : `npm ${npmVersion} differs from the record`)
  process.exitCode = same ? 0 : 1
} else {
  writeFileSync(recordedPath, text)
  for (const [name, byMode] of Object.entries(results)) {
    const summary = Object.entries(byMode)
      .map(([mode, r]) => `${mode} ${r.eresolve ? 'ERESOLVE' : r.exit === 0 ? 'ok' : `exit ${r.exit}`}`)
      .join(', ')
    console.log(`${name}: ${summary}`)
  }
}
