// Re-derives npm-manage.json: runs the npm on PATH through every case of manage-cases.json against
// @tote/test-registry, and records, after each step, the bytes of package.json and package-lock.json
// npm left (the registry URL replaced by `{registry}`), its exit code, and at the end of each case
// `npm ls --all --json` (and `npm outdated --json` where a case asks for it, the project folder
// replaced by `{project}`).
// Run (after `npm run setup`): node test/derive-npm-manage.mjs [--check]
// --check compares with the recorded file instead of writing it (exit 1 on a difference).
import { execFile, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestRegistry } from '@tote/test-registry'

const casesPath = new URL('./manage-cases.json', import.meta.url)
const recordedPath = new URL('./npm-manage.json', import.meta.url)
const { packages, cases } = JSON.parse(readFileSync(casesPath, 'utf8'))
const npmVersion = spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim()
const FLAGS = ['--ignore-scripts', '--no-audit', '--no-fund', '--no-update-notifier']

function npm(args, cwd, home, cache, registry) {
  return new Promise((resolve) => {
    const env = { PATH: process.env.PATH, HOME: home, npm_config_registry: registry, npm_config_cache: cache }
    execFile('npm', args, { cwd, env, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error?.code
      resolve({ status: error ? (typeof code === 'number' ? code : 1) : 0, stdout, stderr })
    })
  })
}

const read = (path) => (existsSync(path) ? readFileSync(path, 'utf8') : null)

async function run() {
  const results = {}
  const base = mkdtempSync(join(tmpdir(), 'tote-manage-oracle-'))
  try {
    for (const c of cases) {
      const registry = await createTestRegistry({ packages })
      const unregistry = (text) => text?.split(registry.url).join('{registry}') ?? null
      try {
        const dir = join(base, c.name, 'project')
        const unproject = (text) => text.split(dir).join('{project}')
        const home = join(base, c.name, 'home')
        const cache = join(base, c.name, 'cache')
        mkdirSync(dir, { recursive: true })
        mkdirSync(home, { recursive: true })
        writeFileSync(join(dir, 'package.json'), c.packageJson)
        writeFileSync(join(dir, '.npmrc'), c.npmrc ?? '')
        const steps = []
        for (const step of c.steps) {
          if (step.publish) {
            registry.addPackages(step.publish)
            steps.push({ publish: true })
            continue
          }
          const result = await npm([...step.args, ...FLAGS], dir, home, cache, registry.url)
          if (result.status !== 0)
            process.stderr.write(`${c.name} ${step.args.join(' ')}:\n${result.stderr}\n`)
          steps.push({
            exit: result.status,
            packageJson: read(join(dir, 'package.json')),
            lockfile: unregistry(read(join(dir, 'package-lock.json'))),
          })
        }
        const ls = await npm(['ls', '--all', '--json'], dir, home, cache, registry.url)
        const outcome = { steps, ls: JSON.parse(unregistry(ls.stdout)) }
        if (c.outdated) {
          const outdated = await npm(
            ['outdated', '--json', '--prefer-online'],
            dir,
            home,
            cache,
            registry.url,
          )
          outcome.outdated = { exit: outdated.status, json: JSON.parse(unproject(outdated.stdout || '{}')) }
        }
        results[c.name] = outcome
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
const text = `${JSON.stringify({ npm: npmVersion, flags: FLAGS, results }, null, 2)}\n`
if (process.argv.includes('--check')) {
  const same = readFileSync(recordedPath, 'utf8') === text
  process.stdout.write(same ? 'npm-manage.json: npm does the same\n' : 'npm-manage.json differs\n')
  process.exitCode = same ? 0 : 1
} else {
  writeFileSync(recordedPath, text)
  process.stdout.write(`wrote ${recordedPath.pathname} (npm ${npmVersion})\n`)
}
