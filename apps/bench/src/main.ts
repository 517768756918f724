import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isToteError } from '@tote/types'
import { parseBenchArgs, USAGE } from './_args.js'
import { cleanEnvironment, PEER_VERSIONS } from './_commands.js'
import { killRunning } from './_process.js'
import type { RunMeta } from './_report.js'
import { RESULT_FILES, renderSaved, writeResults } from './_results.js'
import { createRunner } from './_runner.js'
import { buildContenders, buildSchedule } from './_schedule.js'
import {
  assertGnuTime,
  type HostsPin,
  machineMeta,
  pinRegistryHost,
  registryFromNpm,
  toteSupport,
  toteTool,
  toteToolAt,
} from './_setup.js'
import { ensurePeer } from './_tools.js'
import { nodeHeadersPrefix, TRUST_MECHANISMS, TRUST_PMS } from './_trust.js'
import type { BenchOptions, Contender, Phase, PmName, RunRecord, ToolCommand } from './types.js'

/** The repository root: this file is apps/bench/src/main.ts, or apps/bench/dist/main.js once built. */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

/** Runs pm-bench with `argv` (without node and the script) and sets `process.exitCode`. */
export async function main(argv: string[]): Promise<void> {
  try {
    const options = parseBenchArgs(argv, {
      repoRoot: REPO_ROOT,
      cwd: process.cwd(),
      home: homedir(),
      env: process.env,
    })
    if (options.help) {
      process.stdout.write(USAGE)
      return
    }
    if (options.render !== undefined) {
      process.stdout.write(renderSaved(options.render))
      process.stderr.write(
        `pm-bench: wrote ${RESULT_FILES.markdown} and ${RESULT_FILES.chart} in ${options.render} from its ${RESULT_FILES.json}\n`,
      )
      return
    }
    const stop = (signal: NodeJS.Signals) => {
      killRunning()
      process.stderr.write(`pm-bench: stopped by ${signal}; run folders are left in place\n`)
      process.exit(signal === 'SIGINT' ? 130 : 143)
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    process.exitCode = await runBench(options)
  } catch (error) {
    if (isToteError(error)) {
      process.stderr.write(`pm-bench error ${error.code}: ${error.message}\n`)
      if (error.hint) process.stderr.write(`  hint: ${error.hint}\n`)
      process.exitCode = error.details.usage ? 2 : 1
      return
    }
    process.stderr.write(
      `pm-bench: unexpected error\n${error instanceof Error ? error.stack : String(error)}\n`,
    )
    process.exitCode = 1
  }
}

const log = (line: string) => process.stderr.write(`${line}\n`)

async function runBench(options: BenchOptions): Promise<number> {
  assertGnuTime()
  const started = new Date()
  const runDir = uniqueDir(join(options.outDir, `${timestamp(started)}-${fixtureLabel(options)}`))
  const workDir = join(runDir, 'work')
  mkdirSync(workDir, { recursive: true })
  const env = cleanEnvironment(process.env)
  const registry = registryFromNpm(options.fixture, env)
  const pin = await pinRegistryHost(registry, runDir, env)
  if (pin.hostsFile === undefined) log(pin.note)
  const removeHostsFile = () => {
    if (pin.hostsFile) rmSync(pin.hostsFile, { force: true })
  }
  // Also on an interrupt, which ends the process through process.exit().
  process.once('exit', removeHostsFile)
  try {
    return await measure(options, { started, runDir, workDir, env, registry, pin })
  } finally {
    removeHostsFile()
  }
}

interface Prepared {
  started: Date
  runDir: string
  workDir: string
  env: Record<string, string>
  registry: string
  pin: HostsPin
}

async function measure(options: BenchOptions, prepared: Prepared): Promise<number> {
  const { started, runDir, workDir, env, registry, pin } = prepared
  const redact = redactor(registry, pin.address)
  const trusted = options.trust.map(({ name }) => name)
  const nodedir = trusted.length > 0 ? nodeHeadersPrefix(process.execPath) : undefined
  const notes = [pin.note]
  if (trusted.length === 0) {
    notes.push(
      'lifecycle scripts off for every package manager; each run has fresh project and cache folders',
    )
  } else {
    const added = options.trust.filter(({ range }) => range !== undefined)
    notes.push(
      `install scripts on, ${trusted.join(', ')} approved: ${options.pms
        .map((pm) => `${pm} through ${TRUST_MECHANISMS[pm]}`)
        .join(
          '; ',
        )}; other dependencies' scripts unapproved (each package manager's default applies); each run has fresh project and cache folders`,
    )
    if (added.length > 0) {
      notes.push(
        `added to the fixture's dependencies where missing: ${added.map(({ name, range }) => `${name}@${range}`).join(', ')}`,
      )
    }
    notes.push(
      nodedir === undefined
        ? 'WARNING: no Node headers next to the Node running pm-bench (<prefix>/include/node); node-gyp gets no nodedir'
        : 'npm_config_nodedir set for every package manager: the prefix of the Node running pm-bench, whose include/node holds its headers (no download)',
    )
    notes.push(
      'after each install, every approved dependency must load (`require(name)` in the project) and, with a binding.gyp, hold a built .node file; else the run fails',
    )
  }
  for (const [pm, cap] of Object.entries(options.pmRounds)) {
    if (options.pms.includes(pm as PmName) && cap < options.rounds) {
      notes.push(
        `${pm}: ${cap} recorded round${cap === 1 ? '' : 's'} of ${options.rounds} (--pm-rounds), after its warm-up`,
      )
    }
  }
  if (options.phases.includes('p5_add')) {
    notes.push(
      `p5_add adds ${options.addPackage} to a project installed (untimed) from its lockfile and cache`,
    )
  }

  const tools = new Map<string, ToolCommand>()
  const versions: Record<string, string> = {}
  let toteFrozenCommand: 'ci' | 'install' = 'ci'
  let totePhases = new Set<Phase>()
  const buildPhases = new Map<string, Set<Phase>>()
  for (const pm of options.pms) {
    if (pm === 'tote') {
      const tool = toteTool(REPO_ROOT)
      const support = toteSupport(tool, env, runDir)
      tools.set('tote', tool)
      versions.tote = support.version
      toteFrozenCommand = support.frozenCommand
      totePhases = support.phases
      const missing = options.phases.filter((phase) => !support.phases.has(phase))
      if (missing.length > 0) notes.push(`tote cannot run ${missing.join(', ')} yet (n/a)`)
      // Other builds of tote (--build): their version, and the phases each can run.
      for (const variant of options.variants) {
        if (variant.bin === undefined) continue
        const build = toteSupport(toteToolAt(variant.bin), env, runDir)
        versions[`tote[${variant.name}]`] = build.version
        buildPhases.set(variant.name, build.phases)
      }
      continue
    }
    tools.set(
      pm,
      ensurePeer(pm, { toolsDir: options.toolsDir, registry, hostsFile: pin.hostsFile, env, log }),
    )
    versions[pm] = PEER_VERSIONS[pm]
  }
  tools.set('node', { command: process.execPath, args: [], env: {} })
  const isAvailable = (contender: Contender, phase: Phase) =>
    // utoo has no way to approve one dependency's scripts: n/a where --trust applies.
    !(
      trusted.length > 0 &&
      phase !== 'p6_run' &&
      contender.pm !== 'node' &&
      !TRUST_PMS.includes(contender.pm)
    ) &&
    (contender.pm !== 'tote' || (buildPhases.get(contender.variant?.name ?? '') ?? totePhases).has(phase))

  const meta: RunMeta = {
    date: started.toISOString(),
    machine: machineMeta(),
    fixture: fixtureLabel(options),
    versions,
    rounds: options.rounds,
    phases: options.phases,
    notes,
  }
  // The `node -e 0` reference row: Node's own start-up, measured in the same run.
  const contenders = buildContenders(options.pms, options.variants, { reference: true })
  const steps = buildSchedule(contenders, options.phases, options.rounds, options.pmRounds).filter((step) =>
    isAvailable(step.contender, step.phase),
  )
  const runner = createRunner({
    fixture: options.fixture,
    registry,
    hostsFile: pin.hostsFile,
    env,
    tools,
    toteFrozenCommand,
    addPackage: options.addPackage,
    trust: options.trust,
    nodedir,
    isAvailable,
    workDir,
    lockfileDir: join(runDir, 'lockfiles'),
    minFreeBytes: options.minFreeBytes,
    redact,
    log,
    note: (line) => {
      notes.push(line)
      log(`  note: ${line}`)
    },
  })

  log(`pm-bench: ${fixtureLabel(options)}, ${steps.length} runs, results in ${runDir}`)
  const runs: RunRecord[] = []
  const recordedOptions = {
    pms: options.pms,
    phases: options.phases,
    rounds: options.rounds,
    variants: options.variants,
    fixture: options.fixture.dir,
    trust: options.trust,
  }
  const write = () => writeResults(runDir, { meta, options: recordedOptions, contenders, runs, isAvailable })
  for (const [index, step] of steps.entries()) {
    const label = `${step.warmup ? 'warm-up' : `round ${step.round}`} ${step.phase} ${step.contender.key}`
    const record = await runner.runStep(step, index + 1)
    runs.push(record)
    const wall = record.time ? `${record.time.wallSeconds.toFixed(2)} s` : '—'
    log(
      `[${index + 1}/${steps.length}] ${label}: ${wall} ${record.status}${record.error ? ` (${record.error})` : ''}`,
    )
    write()
  }

  const report = write()
  process.stdout.write(report)
  if (!options.keep) rmSync(workDir, { recursive: true, force: true })
  log(
    `results: ${join(runDir, RESULT_FILES.markdown)}, ${RESULT_FILES.chart} and ${RESULT_FILES.json}${options.keep ? `; run folders kept in ${workDir}` : ''}`,
  )
  return runs.some((run) => !run.warmup && run.status === 'fail') ? 1 : 0
}

/** The fixture's name, then `+<name>` for each `--trust` given with a range (`vite-react-ts+bcrypt`). */
function fixtureLabel(options: BenchOptions): string {
  const added = options.trust.filter(({ range }) => range !== undefined).map(({ name }) => name)
  return [options.fixture.name, ...added].join('+').replace(/[/@]/g, '_')
}

/** `2026-11-26T20-55-53`: sortable, and valid in every file system. */
function timestamp(date: Date): string {
  return date.toISOString().slice(0, 19).replace(/:/g, '-')
}

function uniqueDir(path: string): string {
  let candidate = path
  for (let n = 2; existsSync(candidate); n++) candidate = `${path}-${n}`
  return candidate
}

/** Keeps the registry's name and address out of everything pm-bench stores or prints. */
function redactor(registry: string, address: string | undefined): (text: string) => string {
  const host = new URL(registry).hostname
  const registryNoSlash = registry.replace(/\/$/, '')
  return (text) => {
    let result = text.split(registryNoSlash).join('<registry>').split(host).join('<registry-host>')
    if (address) result = result.split(address).join('<registry-address>')
    return result
  }
}
