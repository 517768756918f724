#!/usr/bin/env node
// The npm oracle for tote add, update and remove on a real project, against the registry npm's
// configuration names: one sequence of commands run with tote and with npm from the same start, each
// step compared. Usage (from the repository, with the CLI built):
//
//   node apps/cli/scripts/manage-oracle.mjs <project folder with a package.json> [--keep]
//
// The start: npm writes package-lock.json for a copy of the project's package.json; both folders get
// that package.json and lockfile, and each installs them (`npm install`, `tote install`). Then each
// step runs in both. After each step: package.json must be byte-identical, package-lock.json is
// compared (identical, or the lines that differ are printed), and `ls --all --json` of each is
// compared twice: the whole document, and the set of installed `name@version` at each path.
// Exit code 0 when package.json and the ls package sets are the same after every step.

import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const args = process.argv.slice(2)
const source = args.find((arg) => !arg.startsWith('--'))
if (!source) {
  console.error('usage: node manage-oracle.mjs <project folder> [--keep]')
  process.exit(2)
}
const tote = fileURLToPath(new URL('../bin/tote.js', import.meta.url))

// Each step: what tote runs, and what npm runs for it.
const steps = [
  { title: 'add a dependency', tote: ['add', 'zod'], npm: ['install', 'zod'] },
  {
    title: 'add a dev dependency, exact',
    tote: ['add', '-D', '-E', 'prettier'],
    npm: ['install', '-D', '-E', 'prettier'],
  },
  {
    title: 'add an npm: alias',
    tote: ['add', 'pad@npm:left-pad@^1.3.0'],
    npm: ['install', 'pad@npm:left-pad@^1.3.0'],
  },
  {
    title: 'add an old version (saved as a range the next step can move within)',
    tote: ['add', 'semver@7.5.0'],
    npm: ['install', 'semver@7.5.0'],
  },
  { title: 'update one package', tote: ['update', 'semver'], npm: ['update', 'semver'] },
  { title: 'remove two', tote: ['remove', 'zod', 'pad'], npm: ['uninstall', 'zod', 'pad'] },
]

const root = mkdtempSync(join(tmpdir(), 'manage-oracle-'))
const dirs = { tote: join(root, 'tote'), npm: join(root, 'npm') }
const base = join(root, 'start')
cpSync(join(resolve(source), 'package.json'), join(base, 'package.json'))
run('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], base)
for (const dir of Object.values(dirs)) {
  cpSync(join(base, 'package.json'), join(dir, 'package.json'))
  cpSync(join(base, 'package-lock.json'), join(dir, 'package-lock.json'))
}
const started = {
  npm: run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund'], dirs.npm),
  tote: run(tote, ['install', '--ignore-scripts'], dirs.tote),
}
let failed = compare('start: npm install --package-lock-only, then each installs it', started)

for (const step of steps) {
  const ran = {
    npm: run('npm', [...step.npm, '--ignore-scripts', '--no-audit', '--no-fund'], dirs.npm),
    tote: run(tote, [...step.tote, '--ignore-scripts'], dirs.tote),
  }
  failed = compare(`${step.title}: tote ${step.tote.join(' ')} / npm ${step.npm.join(' ')}`, ran) || failed
}
console.log(`\n${failed ? 'DIFFERENT' : 'SAME'}: package.json and the installed packages after every step`)
if (!args.includes('--keep')) console.log('(run with --keep to keep the folders)')
else console.log(`folders: ${root}`)
process.exit(failed ? 1 : 0)

function run(command, commandArgs, cwd) {
  const started = performance.now()
  const result = spawnSync(command, commandArgs, { cwd, encoding: 'utf8' })
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  if (result.status !== 0) {
    console.error(`${command} ${commandArgs.join(' ')} failed (${result.status}):\n${result.stderr}`)
    process.exit(1)
  }
  return { seconds, output: `${result.stdout}${result.stderr}`.trim() }
}

/** Prints one step's comparison; true when package.json or the package sets differ. */
function compare(title, ran) {
  console.log(`\n## ${title}`)
  for (const who of ['tote', 'npm']) {
    const last = ran[who].output.split('\n').filter(Boolean)
    console.log(`  ${who} (${ran[who].seconds}s): ${last.join(' | ')}`)
  }
  const read = (who, file) => readFileSync(join(dirs[who], file), 'utf8')
  const samePackageJson = read('tote', 'package.json') === read('npm', 'package.json')
  console.log(`  package.json: ${samePackageJson ? 'byte-identical' : 'DIFFERENT'}`)
  if (!samePackageJson) printDiff('package.json')
  const sameLock = read('tote', 'package-lock.json') === read('npm', 'package-lock.json')
  console.log(`  package-lock.json: ${sameLock ? 'byte-identical' : 'different'}`)
  if (!sameLock) printDiff('package-lock.json')
  const ls = {
    tote: lsJson(tote, ['ls', '--all', '--json'], dirs.tote),
    npm: lsJson('npm', ['ls', '--all', '--json'], dirs.npm),
  }
  const sameDocument = JSON.stringify(ls.tote) === JSON.stringify(ls.npm)
  const sets = { tote: packagesOf(ls.tote), npm: packagesOf(ls.npm) }
  const onlyTote = [...sets.tote].filter((entry) => !sets.npm.has(entry))
  const onlyNpm = [...sets.npm].filter((entry) => !sets.tote.has(entry))
  const samePackages = onlyTote.length === 0 && onlyNpm.length === 0
  console.log(
    `  ls --all --json: ${sets.tote.size} packages (tote), ${sets.npm.size} (npm); ` +
      `${samePackages ? 'the same packages' : 'DIFFERENT packages'}; document ${sameDocument ? 'identical' : 'different'}`,
  )
  if (!samePackages) console.log(`    only tote: ${onlyTote.join(', ')}\n    only npm: ${onlyNpm.join(', ')}`)
  return !samePackageJson || !samePackages
}

function printDiff(file) {
  const result = spawnSync('diff', ['-u', join(dirs.npm, file), join(dirs.tote, file)], { encoding: 'utf8' })
  const lines = result.stdout.split('\n').slice(2)
  for (const line of lines.slice(0, 40)) console.log(`    ${line}`)
  if (lines.length > 40) console.log(`    … ${lines.length - 40} more lines`)
}

function lsJson(command, commandArgs, cwd) {
  // ls exits 1 on problems (as npm ls does); the document is printed either way
  const result = spawnSync(command, commandArgs, { cwd, encoding: 'utf8', maxBuffer: 1 << 28 })
  return JSON.parse(result.stdout)
}

/** Every installed package in an ls document, as `path name@version` (deduped ones once). */
function packagesOf(document) {
  const found = new Set()
  const walk = (dependencies, path) => {
    for (const [name, entry] of Object.entries(dependencies ?? {})) {
      const at = `${path}/${name}`
      if (entry.version) found.add(`${at} ${entry.version}`)
      walk(entry.dependencies, at)
    }
  }
  walk(document.dependencies, '')
  return found
}
