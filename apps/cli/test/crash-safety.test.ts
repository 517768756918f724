// Crash safety (issue 14): installs and upgrades of a real-sized tree, killed with SIGKILL at random
// moments, each followed by a normal `tote install`, must end with the tree that a clean install
// makes, the same package-lock.json, and a content cache without a damaged entry.
//
// The moments come from a seed, printed at the start; TOTE_CRASH_SEED=<seed> replays them (and
// TOTE_CRASH_KILLS=<n> asks for n kills, 12 by default). Each kill point is one of:
//   fresh   - `tote install` into an empty project, killed; then `tote install`
//   upgrade - the installed old state, package.json moved on, `tote install` killed; then `tote install`
//   revert  - the same killed upgrade; then package.json and package-lock.json put back as they were
//             (a user who gives up on it), and `tote install`: the old tree must come back
// in turn with a cache of its own (downloads, unpacking and cloning) and with a warm one that the
// kill points share (cloning), as a user's cache lives through many interrupted runs.
//
// What it caught when it was written: an upgrade that replaced a parent deleted a nested package
// whose own lockfile entry did not change; the old hidden lockfile survived a killed upgrade, so
// what the killed run half-wrote counted as unchanged once the old state was put back; and putting
// it back left empty nested node_modules folders and dangling nested bin links.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { damagedCacheEntries, differences, snapshot } from './_crash-checks.js'
import { crashFixture, seededRandom } from './_crash-fixture.js'
import { type StartedTote, startTote, tote } from './_tote.js'

const fixture = crashFixture()
const SEED = Number(process.env.TOTE_CRASH_SEED || Math.floor(Math.random() * 2 ** 31))
const KILLS = Number(process.env.TOTE_CRASH_KILLS || 12)

let registry: TestRegistry
const root = mkdtempSync(join(tmpdir(), 'tote-crash-'))
let keepRoot = false

beforeAll(async () => {
  registry = await createTestRegistry({ packages: fixture.packages })
  // A few slow documents and tarballs: downloads are still under way when placing starts.
  registry.fault(/^\/mid-0[0-4]$/, { delayMs: 120 })
  registry.fault(/^\/leaf-1[01]\d\/-\//, { delayMs: 80 })
})
afterAll(async () => {
  await registry.close()
  // When something failed, its folders stay for a look (the failure names them).
  if (!keepRoot) rmSync(root, { recursive: true, force: true })
}, 120_000)

type State = 'before' | 'after'
type Kind = 'fresh' | 'upgrade' | 'revert'

interface Project {
  dir: string
  home: string
  cache: string
}

const manifest = (state: State) => `${JSON.stringify(fixture[state], null, 2)}\n`

let folders = 0
/** A project in the state's package.json, with a HOME of its own and `cache` (default: its own). */
function project(name: string, state: State, cache?: string): Project {
  const base = join(root, `${String(++folders).padStart(2, '0')}-${name}`)
  const dir = join(base, 'project')
  mkdirSync(dir, { recursive: true })
  mkdirSync(join(base, 'home'))
  writeFileSync(join(dir, 'package.json'), manifest(state))
  return { dir, home: join(base, 'home'), cache: cache ?? join(base, 'cache') }
}

function start(where: Project): StartedTote {
  return startTote(['install', '--verbose'], { ...where, cwd: where.dir, registry: registry.url })
}

/** Runs `tote install`, which must succeed. */
async function install(where: Project, args = ['install']): Promise<void> {
  const result = await tote(args, { ...where, cwd: where.dir, registry: registry.url })
  if (result.code !== 0) throw new Error(`tote ${args.join(' ')} failed in ${where.dir}:\n${result.stderr}`)
}

/** How a run without a kill went, which is where the kills of the same kind of run land. */
interface Timing {
  /** Requests (--verbose `GET` lines) before it started placing packages: documents and tarballs. */
  requests: number
  /** ms from the start of placing packages (the "installing" line) to the end of the run. */
  placing: number
}

const GET = /^tote: GET /gm

async function timedInstall(where: Project): Promise<Timing> {
  const child = start(where)
  let placingFrom = Number.NaN
  child.saidOnStderr('tote: installing').then(
    () => {
      placingFrom = performance.now()
    },
    () => {},
  )
  const end = await child.exited
  if (end.code !== 0) throw new Error(`tote install failed in ${where.dir}:\n${end.stderr}`)
  const resolving = end.stderr.slice(0, end.stderr.indexOf('tote: installing'))
  return { requests: resolving.match(GET)?.length ?? 0, placing: performance.now() - placingFrom }
}

it(`survives SIGKILL at ${KILLS} random moments of installs and upgrades`, { timeout: 600_000 }, async () => {
  console.log(`crash-safety: seed ${SEED} (replay: TOTE_CRASH_SEED=${SEED}), ${KILLS} kills, in ${root}`)
  const random = seededRandom(SEED)
  const started = performance.now()

  // The references, each installed cleanly in its own folder with its own cache: the old state; and
  // the new one, package.json moved on and resolved from the old package-lock.json as an upgrade
  // resolves it (what still fits stays locked), installed into an empty node_modules.
  const before = project('reference-before', 'before')
  await install(before)
  const after = project('reference-after', 'after')
  cpSync(join(before.dir, 'package-lock.json'), join(after.dir, 'package-lock.json'))
  await install(after, ['install', '--lockfile-only'])
  await install(after)
  const expected = { before: snapshot(before.dir), after: snapshot(after.dir) }
  const read = (where: Project, path: string) =>
    existsSync(join(where.dir, path)) ? readFileSync(join(where.dir, path), 'utf8') : undefined
  const lockfiles = { before: read(before, 'package-lock.json')!, after: read(after, 'package-lock.json')! }
  const hiddenBefore = read(before, 'node_modules/.package-lock.json')

  // What this test is about: a few hundred packages, many nested, and an upgrade that replaces
  // many, among them parents whose nested child stays as it was.
  const packages = (state: State) =>
    new Map(
      [...expected[state]]
        .filter(([path]) => /node_modules\/(@[^/]+\/)?[^/@]+\/package\.json$/.test(path))
        .map(([path, file]) => [path.slice(0, -'/package.json'.length), file]),
    )
  const [old, upgraded] = [packages('before'), packages('after')]
  const replaced = [...upgraded.keys()].filter(
    (path) => old.has(path) && old.get(path) !== upgraded.get(path),
  )
  const nested = [...old.keys()].filter(
    (path) => path.indexOf('node_modules') !== path.lastIndexOf('node_modules'),
  )
  console.log(
    `crash-safety: ${old.size} packages before the upgrade (${nested.length} nested), ${upgraded.size} after, ${replaced.length} replaced`,
  )
  expect(old.size).toBeGreaterThan(250)
  expect(replaced.length).toBeGreaterThan(40)
  for (const scope of ['', '@crash/']) {
    const parent = `node_modules/${scope}parent`
    const child = `${parent}/node_modules/${scope}child`
    expect(upgraded.get(parent)).not.toBe(old.get(parent))
    expect(upgraded.get(child)).toBe(old.get(child))
  }

  /** The installed old state copied (its hidden lockfile too), with package.json moved on. */
  const upgradeable = (name: string, cache?: string) => {
    const where = project(name, 'after', cache)
    cpSync(before.dir, where.dir, { recursive: true, verbatimSymlinks: true })
    writeFileSync(join(where.dir, 'package.json'), manifest('after'))
    return where
  }

  const report: string[] = []
  /** Problems already reported, and the run they were first seen after. */
  const seen = new Map<string, string>()
  /** Compares a project with the clean install of `state`; a passing project's folder is removed. */
  const check = async (name: string, heading: string, where: Project, state: State) => {
    const problems = differences(expected[state], snapshot(where.dir))
    if (read(where, 'package-lock.json') !== lockfiles[state])
      problems.push(`    package-lock.json differs from the clean install's`)
    const damaged = await damagedCacheEntries(where.cache)
    problems.push(...damaged.slice(0, 5).map((line) => `    damaged cache entry ${line}`))
    if (damaged.length > 5) problems.push(`    … and ${damaged.length - 5} more damaged cache entries`)
    if (problems.length === 0) return rmSync(join(where.dir, '..'), { recursive: true, force: true })
    keepRoot = true
    const key = `${state}\n${problems.join('\n')}`
    const first = seen.get(key)
    const against = `a clean install of the ${state} state (${where.dir})`
    if (first !== undefined) report.push(`${heading}\n  differs from ${against} as ${first} does`)
    else report.push(`${heading}\n  differs from ${against}:`, ...problems)
    seen.set(key, first ?? name)
  }

  // Each kind of run once without a kill: where its kills will land, and its result checked (not the
  // runs above: the first install of a build also writes its code cache). The first fills the cache
  // that the warm kill points share.
  const shared = join(root, 'shared-cache')
  const measure = async (label: string, where: Project, state: State) => {
    const timing = await timedInstall(where)
    await check(label, `${label} with no kill`, where, state)
    return timing
  }
  const timings = {
    fresh: {
      cold: await measure('a fresh install (cold cache)', project('fresh-cold', 'before', shared), 'before'),
      warm: await measure('a fresh install (warm cache)', project('fresh-warm', 'before', shared), 'before'),
    },
    upgrade: {
      cold: await measure('an upgrade (cold cache)', upgradeable('upgrade-cold'), 'after'),
      warm: await measure('an upgrade (warm cache)', upgradeable('upgrade-warm', shared), 'after'),
    },
  }
  {
    // And put back with no kill: the old tree must come back.
    const reverted = upgradeable('revert-warm', shared)
    await install(reverted)
    writeFileSync(join(reverted.dir, 'package.json'), manifest('before'))
    writeFileSync(join(reverted.dir, 'package-lock.json'), lockfiles.before)
    await install(reverted)
    const heading =
      'an upgrade with no kill, then package.json and package-lock.json put back, `tote install`'
    await check('a revert', heading, reverted, 'before')
  }
  console.log(
    `crash-safety: without a kill, requests before placing / placing: ${(['fresh', 'upgrade'] as const)
      .flatMap((kind) =>
        (['cold', 'warm'] as const).map(
          (cache) =>
            `${kind} ${cache} ${timings[kind][cache].requests} / ${Math.round(timings[kind][cache].placing)} ms`,
        ),
      )
      .join(', ')}`,
  )

  /** How far a killed run got, from what it said and left. */
  const progress = (where: Project, kind: Kind, stderr: string): string => {
    const written = (path: string, before: string | undefined) => {
      const text = read(where, path)
      return text !== undefined && (kind === 'fresh' || text !== before)
    }
    const downloads = `${stderr.match(/^tote: GET \S+\.tgz /gm)?.length ?? 0} tarballs downloaded`
    const lockfile = written('package-lock.json', lockfiles.before)
    if (written('node_modules/.package-lock.json', hiddenBefore))
      return `it had written the hidden lockfile${lockfile ? ' and package-lock.json' : ''}`
    const lockNote = lockfile ? ', package-lock.json written' : ''
    if (stderr.includes('tote: installing')) return `it was placing packages (${downloads}${lockNote})`
    return `it was resolving (${downloads}${lockNote})`
  }

  const kinds: Kind[] = ['fresh', 'upgrade', 'revert']
  const landed: string[] = []
  let kills = 0
  // A kill that comes after the run ended does not count: another point is tried, KILLS more at most.
  for (let point = 0; kills < KILLS && point < 2 * KILLS; point++) {
    const kind = kinds[point % kinds.length]!
    const warm = Math.floor(point / kinds.length) % 2 === 1
    const name = `kill-${point}-${kind}-${warm ? 'warm' : 'cold'}`
    const cache = warm ? shared : undefined
    const where = kind === 'fresh' ? project(name, 'before', cache) : upgradeable(name, cache)

    // Kills follow the run's own progress rather than the clock, as this machine's speed varies: while
    // resolving (downloads under way), at a random one of the requests that this kind of run made
    // without a kill; or a random time into placing packages and writing the hidden lockfile (always,
    // for a revert: what it then puts back is the point).
    const timing = timings[kind === 'fresh' ? 'fresh' : 'upgrade'][warm ? 'warm' : 'cold']
    const killed = start(where)
    const kill = () => killed.child.kill('SIGKILL')
    let when: string
    if (kind !== 'revert' && random() < 0.4) {
      const request = 1 + Math.floor(random() * timing.requests)
      when = `at request ${request} of ${timing.requests}`
      killed.onStderr((stderr) => {
        if ((stderr.match(GET)?.length ?? 0) >= request) kill()
      })
    } else {
      // Not quite to the end: runs vary, and a kill after the end is one more run.
      const delay = Math.round(0.9 * timing.placing * random())
      when = `${delay} ms into placing packages (${Math.round(timing.placing)} ms without a kill)`
      killed.saidOnStderr('tote: installing').then(
        () => {
          const placingFrom = performance.now()
          setTimeout(kill, delay)
          // A run that ended first says how long placing takes now (this machine's speed varies).
          void killed.exited.then((end) => {
            if (end.signal === null) timing.placing = performance.now() - placingFrom
          })
        },
        () => {},
      )
    }
    const end = await killed.exited
    const moment =
      end.signal === 'SIGKILL'
        ? `killed ${when}: ${progress(where, kind, end.stderr)}`
        : `not killed: it ended first (code ${end.code}), before ${when}`
    landed.push(`${name}: ${moment}`)
    if (end.signal === 'SIGKILL') kills++

    if (kind === 'revert') {
      writeFileSync(join(where.dir, 'package.json'), manifest('before'))
      writeFileSync(join(where.dir, 'package-lock.json'), lockfiles.before)
    }
    const then =
      kind === 'revert' ? 'package.json and package-lock.json put back, `tote install`' : '`tote install`'
    const result = await tote(['install'], { ...where, cwd: where.dir, registry: registry.url })
    if (result.code !== 0) {
      keepRoot = true
      report.push(`${name}, ${moment}\n  then ${then} failed (${where.dir}):\n${result.stderr}`)
      continue
    }
    await check(name, `${name}, ${moment}\n  then ${then}`, where, kind === 'upgrade' ? 'after' : 'before')
  }
  console.log(`crash-safety: ${Math.round((performance.now() - started) / 1000)} s\n  ${landed.join('\n  ')}`)

  expect(kills, 'kills that landed before the run ended').toBe(KILLS)
  if (report.length > 0) {
    throw new Error(`crash-safety, seed ${SEED} (replay: TOTE_CRASH_SEED=${SEED}):\n${report.join('\n')}`)
  }
})
