// Re-derives npm-local-cases.json: runs the npm on PATH on every step of every case of
// _local-cases.ts against @tote/test-registry, and records the lockfile it wrote after each step
// (the registry URL replaced by `{registry}`).
// Run (after `pnpm build`): node --import tsx test/derive-local-cases.ts [--check]
// --check compares with the recorded file instead of writing it (exit 1 on a difference).
import { execFile, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestRegistry } from '@tote/test-registry'
import { CASES, PACKAGES, PROJECT_FOLDER, writeFiles } from './_local-cases.js'

const recordedPath = new URL('./npm-local-cases.json', import.meta.url)
const npmVersion = spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim()
const command = 'npm install --package-lock-only --ignore-scripts --no-audit --no-fund'

function npm(args: string[], cwd: string, home: string): Promise<{ status: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npm', args, { cwd, env: { PATH: process.env.PATH, HOME: home } }, (error, _stdout, stderr) => {
      const code = (error as { code?: unknown } | null)?.code
      resolve({ status: error ? (typeof code === 'number' ? code : 1) : 0, stderr })
    })
  })
}

async function run(): Promise<Record<string, string[]>> {
  const results: Record<string, string[]> = {}
  const base = mkdtempSync(join(tmpdir(), 'tote-local-oracle-'))
  const registry = await createTestRegistry({ packages: PACKAGES })
  try {
    for (const c of CASES) {
      const caseDir = join(base, c.name)
      const dir = join(caseDir, PROJECT_FOLDER)
      const lockfiles: string[] = []
      for (const step of c.steps) {
        writeFiles(caseDir, step, registry.url)
        writeFileSync(join(dir, '.npmrc'), '')
        // asynchronously: the registry answers from this process
        const result = await npm(
          [
            ...command.split(' ').slice(1),
            '--registry',
            registry.url,
            '--cache',
            join(base, 'cache'),
            '--userconfig',
            join(dir, '.npmrc'),
          ],
          dir,
          base,
        )
        if (result.status !== 0) throw new Error(`npm failed on ${c.name}: ${result.stderr}`)
        lockfiles.push(
          readFileSync(join(dir, 'package-lock.json'), 'utf8').split(registry.url).join('{registry}'),
        )
      }
      results[c.name] = lockfiles
    }
  } finally {
    await registry.close()
    rmSync(base, { recursive: true, force: true })
  }
  return results
}

const results = await run()
const text = `${JSON.stringify({ npm: npmVersion, command, results }, null, 2)}\n`
if (process.argv.includes('--check')) {
  const recorded = readFileSync(recordedPath, 'utf8')
  const same = JSON.stringify(JSON.parse(recorded).results) === JSON.stringify(results)
  console.log(same ? `npm ${npmVersion} does what is recorded` : `npm ${npmVersion} differs from the record`)
  process.exitCode = same ? 0 : 1
} else {
  writeFileSync(recordedPath, text)
  for (const [name, lockfiles] of Object.entries(results))
    console.log(`${name}: ${lockfiles.length} lockfiles`)
}
