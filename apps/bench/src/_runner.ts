import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  installsNodeModules,
  LOCKFILE_NAMES,
  needsLockfile,
  needsWarmCache,
  pmCommand,
  RUN_SCRIPT,
  wrapCommand,
} from './_commands.js'
import { checkInstall, checkProblem, fileSize, treeSize } from './_measure.js'
import { runToFiles } from './_process.js'
import type { Step } from './_schedule.js'
import { toteToolAt } from './_setup.js'
import { parseTimeOutput, TIME_FORMAT } from './_time.js'
import { checkTrusted, trustProblem, writeApproval } from './_trust.js'
import { copyWorkspaceManifests, pnpmWorkspaceYaml } from './_workspaces.js'
import type {
  Contender,
  Fixture,
  Phase,
  PmContender,
  RunRecord,
  TimeMeasures,
  ToolCommand,
  TrustedDependency,
} from './types.js'

/** A run that takes longer than this is killed and recorded as failed. */
export const RUN_TIMEOUT_MS = 45 * 60_000
/** After deleting finished runs' folders, wait so the file system's background work settles. */
const DISK_SETTLE_MS = 60_000
/** Tries of the untimed run that makes a contender's own lockfile. */
const LOCKFILE_TRIES = 3

export interface RunnerContext {
  fixture: Fixture
  registry: string
  hostsFile: string | undefined
  env: Record<string, string>
  tools: Map<string, ToolCommand>
  toteFrozenCommand: 'ci' | 'install'
  addPackage: string
  /**
   * `--trust`: dependencies whose install scripts run, approved in each run's project through its
   * package manager's mechanism; empty: scripts off.
   */
  trust?: readonly TrustedDependency[]
  /** With `--trust`: node-gyp's `nodedir` (the local Node headers' prefix), if known. */
  nodedir?: string | undefined
  isAvailable: (contender: Contender, phase: Phase) => boolean
  workDir: string
  lockfileDir: string
  minFreeBytes: number
  /** Removes the registry and its address from text kept in the results. */
  redact: (text: string) => string
  log: (line: string) => void
  note: (line: string) => void
}

interface Attempt {
  argv: string[]
  exitCode: number | undefined
  time: TimeMeasures | undefined
  error: string | undefined
  stderrTail: string | undefined
}

/** Runs the schedule's steps one after the other; keeps nothing between runs but each PM's lockfile. */
export function createRunner(context: RunnerContext) {
  const lockfiles = new Map<string, string>()
  const lockfileFailures = new Map<string, string>()
  const finishedDirs: string[] = []
  const safeName = (key: string) => key.replace(/[^\w.-]+/g, '-').replace(/-+$/, '')

  const trust = context.trust ?? []

  /** `--trust` applies to the installing phases; p6_run runs a script and the reference row nothing. */
  const trusting = (contender: Contender, phase: Phase) =>
    trust.length > 0 && contender.pm !== 'node' && phase !== 'p6_run'

  function prepareProject(
    contender: Contender,
    phase: Phase,
    projectDir: string,
    lockfile: string | undefined,
  ): void {
    mkdirSync(projectDir, { recursive: true })
    copyFileSync(context.fixture.packageJsonPath, join(projectDir, 'package.json'))
    if (context.fixture.npmrcPath) copyFileSync(context.fixture.npmrcPath, join(projectDir, '.npmrc'))
    const workspaces = context.fixture.workspaces
    if (workspaces) {
      copyWorkspaceManifests(context.fixture.dir, projectDir, workspaces.folders)
      writeFileSync(join(projectDir, 'pnpm-workspace.yaml'), pnpmWorkspaceYaml(workspaces.patterns))
    }
    if (contender.pm !== 'node' && trusting(contender, phase)) writeApproval(contender.pm, projectDir, trust)
    if (lockfile) copyFileSync(lockfile, join(projectDir, lockfileBaseName(lockfile)))
  }

  /** p6_run's project: the fixture's package.json with the script to run. */
  function addRunScript(projectDir: string): void {
    const path = join(projectDir, 'package.json')
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { scripts?: Record<string, string> }
    manifest.scripts = { ...manifest.scripts, [RUN_SCRIPT.name]: RUN_SCRIPT.command }
    writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`)
  }

  async function attempt(
    contender: Contender,
    phase: Phase,
    /** `logs` is a path prefix: `<logs>time.txt`, `<logs>stderr.log`, `<logs>stdout.log`. */
    dirs: { project: string; cache: string; logs: string },
    lockfile: string | undefined,
  ): Promise<Attempt> {
    prepareProject(contender, phase, dirs.project, lockfile)
    if (phase === 'p6_run') addRunScript(dirs.project)
    mkdirSync(dirs.cache, { recursive: true })
    const bin = contender.variant?.bin
    const tool = bin === undefined ? context.tools.get(contender.pm) : toteToolAt(bin)
    if (!tool) throw new Error(`no tool for ${contender.pm}`)
    const command = pmCommand(contender, phase, {
      tool,
      registry: context.registry,
      cacheDir: dirs.cache,
      toteFrozenCommand: context.toteFrozenCommand,
      addPackage: context.addPackage,
      workspaces: context.fixture.workspaces !== undefined,
      scripts: trusting(contender, phase) ? { nodedir: context.nodedir } : undefined,
    })
    const timeFile = `${dirs.logs}time.txt`
    const wrapped = wrapCommand(command.command, command.args, {
      timeFile,
      timeFormat: TIME_FORMAT,
      hostsFile: context.hostsFile,
    })
    const stderrFile = `${dirs.logs}stderr.log`
    const stdoutFile = `${dirs.logs}stdout.log`
    const run = await runToFiles(wrapped.command, wrapped.args, {
      cwd: dirs.project,
      env: { ...context.env, ...command.env },
      stdoutFile,
      stderrFile,
      timeoutMs: RUN_TIMEOUT_MS,
    })
    const time = existsSync(timeFile) ? parseTimeOutput(readFileSync(timeFile, 'utf8')) : undefined
    let error: string | undefined
    if (run.spawnError) error = `could not start: ${run.spawnError}`
    else if (run.timedOut) error = `killed after ${RUN_TIMEOUT_MS / 60_000} min`
    else if (!time) error = `no measures from /usr/bin/time (exit code ${run.exitCode})`
    else if (time.signal !== undefined) error = `killed by signal ${time.signal}`
    else if (time.exitCode !== 0) error = `exit code ${time.exitCode}`
    return {
      argv: [command.command, ...command.args].map(context.redact),
      exitCode: time?.exitCode ?? run.exitCode ?? undefined,
      time,
      error,
      stderrTail: error ? context.redact(tail(stderrFile) || tail(stdoutFile)) : undefined,
    }
  }

  /** The contender's own lockfile: from its first successful p0/p1 run, else made now, untimed. */
  async function ensureLockfile(contender: PmContender): Promise<string> {
    const stored = lockfiles.get(contender.key)
    if (stored) return stored
    const failure = lockfileFailures.get(contender.key)
    if (failure) throw new Error(failure)
    const phase: Phase = context.isAvailable(contender, 'p1_resolve') ? 'p1_resolve' : 'p0_full_cold'
    const lockfileName = LOCKFILE_NAMES[contender.pm]
    // A registry mirror may answer one request from a stale copy (a version missing): a failed
    // untimed set-up is tried again in fresh folders before the contender is given up for the run.
    let made: Awaited<ReturnType<typeof attempt>> | undefined
    for (let round = 1; round <= LOCKFILE_TRIES; round++) {
      const dir = join(
        context.workDir,
        `lockfile-${safeName(contender.key)}${round === 1 ? '' : `-${round}`}`,
      )
      const dirs = { project: join(dir, 'project'), cache: join(dir, 'cache'), logs: join(dir, 'run-') }
      finishedDirs.push(dir)
      context.log(
        `  making ${contender.key}'s lockfile (${phase}, untimed${round === 1 ? '' : `, try ${round}`})`,
      )
      made = await attempt(contender, phase, dirs, undefined)
      if (!made.error && (fileSize(join(dirs.project, lockfileName)) ?? 0) > 0) {
        return storeLockfile(contender, join(dirs.project, lockfileName))
      }
    }
    const reason = `could not make its lockfile: ${made?.error ?? `no ${lockfileName}`}`
    lockfileFailures.set(contender.key, reason)
    throw new Error(reason)
  }

  function storeLockfile(contender: PmContender, source: string): string {
    const dir = join(context.lockfileDir, safeName(contender.key))
    mkdirSync(dir, { recursive: true })
    const target = join(dir, lockfileBaseName(source))
    copyFileSync(source, target)
    lockfiles.set(contender.key, target)
    return target
  }

  async function ensureDiskSpace(): Promise<void> {
    const free = freeBytes(context.workDir)
    if (free >= context.minFreeBytes) return
    for (const dir of finishedDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
    spawnSync('sync')
    await sleep(DISK_SETTLE_MS)
    context.note(
      `free disk space fell to ${(free / 1024 ** 3).toFixed(1)} GB: deleted finished runs' folders, synced, waited ${DISK_SETTLE_MS / 1000} s (now ${(freeBytes(context.workDir) / 1024 ** 3).toFixed(1)} GB free)`,
    )
  }

  /** Runs one step and returns its record. */
  async function runStep(step: Step, index: number): Promise<RunRecord> {
    const { contender, phase } = step
    await ensureDiskSpace()
    const stepDir = join(
      context.workDir,
      `${String(index).padStart(3, '0')}-r${step.round}-${phase}-${safeName(contender.key)}`,
    )
    const cache = join(stepDir, 'cache')
    const base = {
      contender: contender.key,
      pm: contender.pm,
      variant: contender.variant?.name,
      phase,
      round: step.round,
      warmup: step.warmup,
    }
    const failed = (error: string, partial: Partial<RunRecord> = {}): RunRecord => ({
      ...base,
      status: 'fail',
      argv: [],
      exitCode: undefined,
      time: undefined,
      after: undefined,
      checks: undefined,
      stderrTail: undefined,
      ...partial,
      error,
    })
    mkdirSync(stepDir, { recursive: true })
    finishedDirs.push(stepDir)
    if (contender.pm === 'node') {
      // The reference row: timed like every run, in a project folder of its own; nothing to check.
      spawnSync('sync')
      const run = await attempt(
        contender,
        phase,
        { project: join(stepDir, 'project'), cache, logs: join(stepDir, 'run-') },
        undefined,
      )
      return { ...base, status: run.error ? 'fail' : 'ok', ...run, after: undefined, checks: undefined }
    }
    let lockfile: string | undefined
    if (needsLockfile(phase)) {
      try {
        lockfile = await ensureLockfile(contender)
      } catch (error) {
        return failed((error as Error).message)
      }
    }
    const projectDir = join(stepDir, 'project')
    if (needsWarmCache(phase)) {
      // Fill this run's cache with an untimed install (p4: in another folder; p5: in the project
      // itself, whose node_modules the timed add then changes); the timed run reuses it.
      const prepProject = phase === 'p5_add' ? projectDir : join(stepDir, 'prep-project')
      const prep = await attempt(
        contender,
        'p3_cold_install',
        { project: prepProject, cache, logs: join(stepDir, 'prep-') },
        lockfile,
      )
      if (prep.error)
        return failed(`warm-cache install failed: ${prep.error}`, { stderrTail: prep.stderrTail })
    }
    spawnSync('sync')
    const run = await attempt(
      contender,
      phase,
      { project: projectDir, cache, logs: join(stepDir, 'run-') },
      lockfile,
    )
    const lockfileName = LOCKFILE_NAMES[contender.pm]
    const nodeModules = treeSize(join(projectDir, 'node_modules'))
    const after = {
      nodeModulesFiles: nodeModules?.files,
      nodeModulesBytes: nodeModules?.bytes,
      cacheBytes: treeSize(cache)?.bytes ?? 0,
      lockfileBytes: fileSize(join(projectDir, lockfileName)),
    }
    const record: RunRecord = { ...base, status: 'ok', ...run, after, checks: undefined }
    if (run.error) return { ...record, status: 'fail' }
    if (phase === 'p6_run') return record // a script ran: nothing installed to check
    const checks = checkInstall({ projectDir, lockfileName, installs: installsNodeModules(phase) })
    if (trust.length > 0 && installsNodeModules(phase)) {
      checks.trusted = checkTrusted(
        projectDir,
        trust.map(({ name }) => name),
      )
    }
    const problem = [checkProblem(checks, lockfileName), trustProblem(checks.trusted ?? [])]
      .filter((text) => text !== undefined)
      .join('; ')
    if (problem) return { ...record, status: 'fail', checks, error: `check failed: ${problem}` }
    if (!needsLockfile(phase) && !lockfiles.has(contender.key)) {
      storeLockfile(contender, join(projectDir, lockfileName))
    }
    return { ...record, checks }
  }

  return { runStep }
}

function lockfileBaseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

function freeBytes(path: string): number {
  const stats = statfsSync(path)
  return stats.bavail * stats.bsize
}

/** The last lines of a log, for a failure's record. */
function tail(path: string): string {
  if (!existsSync(path)) return ''
  const text = readFileSync(path, 'utf8').trimEnd()
  return text.split('\n').slice(-30).join('\n').slice(-4000)
}
