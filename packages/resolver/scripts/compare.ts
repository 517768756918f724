// Resolves the shared fixtures against the registry from npm configuration and compares the result
// with npm's own lockfile (`npm install --package-lock-only --ignore-scripts` in a /tmp copy):
// entry counts, share of equal (path, version) pairs, differences, and tote's wall time.
// Run: pnpm --filter @tote/resolver compare [fixture…] [--fetch] [--skip-absent-optional-peers]
// (after `pnpm build`)
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringifyLockfile } from '@tote/lockfile'
import type { Lockfile, ProjectManifest } from '@tote/types'
import { createResolver } from '../src/index.js'
import { createScriptClient } from './_client.js'

const fixturesDir = '/work/shared/fixtures'
const workDir = '/tmp/tote-resolver-compare'
const args = process.argv.slice(2)
const named = args.filter((arg) => !arg.startsWith('--'))
const fixtures = named.length > 0 ? named : ['vite-react-ts', 'ant-design']

/** A fixture name under the shared fixtures, or an absolute path to a folder with a package.json. */
function sourceDir(fixture: string): string {
  return fixture.startsWith('/') ? fixture : join(fixturesDir, fixture)
}

function label(fixture: string): string {
  return fixture.startsWith('/') ? fixture.replace(/[^a-zA-Z0-9-]+/g, '_') : fixture
}

function npmLock(fixture: string): Lockfile {
  const dir = join(workDir, label(fixture), 'npm')
  const lockPath = join(dir, 'package-lock.json')
  if (!existsSync(lockPath)) {
    mkdirSync(dir, { recursive: true })
    for (const file of ['package.json', '.npmrc']) {
      if (existsSync(join(sourceDir(fixture), file)))
        copyFileSync(join(sourceDir(fixture), file), join(dir, file))
    }
    console.log(`${fixture}: running npm install --package-lock-only (once)…`)
    execFileSync('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: dir,
      stdio: 'ignore',
    })
  }
  return JSON.parse(readFileSync(lockPath, 'utf8')) as Lockfile
}

function pairs(lock: Lockfile): Map<string, string> {
  const map = new Map<string, string>()
  for (const [path, entry] of Object.entries(lock.packages))
    if (path !== '') map.set(path, entry.version ?? '(link)')
  return map
}

const flagNames = ['dev', 'optional', 'devOptional', 'peer'] as const

async function compare(fixture: string): Promise<void> {
  const project = JSON.parse(
    readFileSync(join(sourceDir(fixture), 'package.json'), 'utf8'),
  ) as ProjectManifest
  const npmrcPath = join(sourceDir(fixture), '.npmrc')
  const legacyPeerDeps =
    existsSync(npmrcPath) && /^\s*legacy-peer-deps\s*=\s*true\s*$/m.test(readFileSync(npmrcPath, 'utf8'))
  const reference = npmLock(fixture)
  const client = await createScriptClient(args.includes('--fetch'))
  const registry = client.registry
  const npmVersion = execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim()
  const started = performance.now()
  const cpuStart = process.cpuUsage()
  const { lockfile, warnings, stats } = await createResolver(client, {
    legacyPeerDeps,
    skipAbsentOptionalPeers: args.includes('--skip-absent-optional-peers'),
    omitLockfileRegistryResolved: true,
    registryFor: () => registry,
    npmVersion,
  }).resolve(project)
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuStart)
  const cpuSeconds = (cpu.user + cpu.system) / 1e6
  await client.close()
  mkdirSync(join(workDir, label(fixture)), { recursive: true })
  writeFileSync(join(workDir, label(fixture), 'tote-lock.json'), `${JSON.stringify(lockfile, null, 2)}\n`)

  const ours = pairs(lockfile)
  const theirs = pairs(reference)
  let equal = 0
  const diffs: string[] = []
  let flagDiffs = 0
  for (const [path, version] of theirs) {
    const mine = ours.get(path)
    if (mine === version) {
      equal++
      const a = lockfile.packages[path]!
      const b = reference.packages[path]!
      const fa = flagNames.filter((f) => a[f]).join(',')
      const fb = flagNames.filter((f) => b[f]).join(',')
      if (fa !== fb) {
        flagDiffs++
        if (flagDiffs <= 10) diffs.push(`  flags ${path}: npm [${fb}] tote [${fa}]`)
      }
    } else diffs.push(`  ${path}: npm ${version}, tote ${mine ?? '(absent)'}`)
  }
  for (const [path, version] of ours)
    if (!theirs.has(path)) diffs.push(`  ${path}: npm (absent), tote ${version}`)
  const share = (100 * equal) / Math.max(theirs.size, 1)
  const text = stringifyLockfile(lockfile)
  const identical = text === readFileSync(join(workDir, label(fixture), 'npm', 'package-lock.json'), 'utf8')
  console.log(
    `${fixture}: npm ${theirs.size} entries, tote ${ours.size}; equal (path, version) ${equal} = ${share.toFixed(2)}%;` +
      ` flag differences ${flagDiffs}; resolve ${seconds.toFixed(2)} s (CPU ${cpuSeconds.toFixed(2)} s),` +
      ` ${stats.packuments} packuments,` +
      ` ${(client.bytes() / 1e6).toFixed(0)} MB; ${warnings.length} warnings;` +
      ` written by @tote/lockfile: ${identical ? 'byte-identical to' : 'differs from'} npm's file`,
  )
  for (const line of diffs.slice(0, 60)) console.log(line)
  if (diffs.length > 60) console.log(`  … ${diffs.length - 60} more`)
}

for (const fixture of fixtures) await compare(fixture)
