import { execFile, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pathWithThisNode, scratch, tote, toteCommand } from './_tote.js'

// Every fault ends in a ToteError with a code and a hint, never "unexpected error (a bug in tote)".

let registry: TestRegistry

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: {
      lib: {
        versions: {
          '1.0.0': { files: { 'index.js': 'module.exports = 1\n', 'data.txt': 'x'.repeat(300_000) } },
        },
      },
      small: { versions: { '1.0.0': {} } },
    },
  })
})
afterAll(() => registry.close())

type Project = ReturnType<typeof scratch>

function run(project: Project, args: string[]) {
  return tote(args, { ...project, cwd: project.dir, registry: registry.url })
}

async function lockedWith(resolved: string): Promise<Project> {
  const project = scratch({ name: 'p', dependencies: { lib: '1.0.0' } })
  expect((await run(project, ['install', '--lockfile-only'])).code).toBe(0)
  const lockPath = join(project.dir, 'package-lock.json')
  const lock = JSON.parse(readFileSync(lockPath, 'utf8'))
  lock.packages['node_modules/lib'].resolved = resolved
  writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`)
  return project
}

describe('faults end with a code and a hint', () => {
  for (const command of ['ci', 'install']) {
    it(`${command}: a source in resolved tote does not fetch from is named`, async () => {
      const project = await lockedWith(
        'git+ftp://host.invalid/lib.git#0123456789abcdef0123456789abcdef01234567',
      )
      const result = await run(project, [command])
      expect(result.stderr).not.toMatch(/unexpected error|TypeError/)
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(
        'tote error EUNSUPPORTEDSOURCE: package-lock.json: node_modules/lib comes from "git+ftp://host.invalid/lib.git#0123456789abcdef0123456789abcdef01234567"',
      )
      expect(result.stderr).toContain('hint:')
      expect(existsSync(join(project.dir, 'node_modules'))).toBe(false)
    })

    it(`${command}: a git repository that cannot be reached is EGIT, with a hint`, async () => {
      const project = await lockedWith('git+file:///nowhere/lib.git#0123456789abcdef0123456789abcdef01234567')
      const result = await run(project, [command])
      expect(result.stderr).not.toMatch(/unexpected error|TypeError/)
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('tote error EGIT: git clone of file:///nowhere/lib.git failed')
      expect(result.stderr).toContain('hint:')
    })
  }

  it('a resolved that is no URL at all is a lockfile error', async () => {
    const project = await lockedWith('not a url')
    const result = await run(project, ['ci'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      'tote error ELOCKFILE: package-lock.json: node_modules/lib has a resolved that is not a URL',
    )
  })
})

// Real file system faults: mounts (a small tmpfs, a read-only bind) in a mount namespace of the
// test's own, which needs root, as CI runs; elsewhere these tests are skipped and say why.
const canMount =
  spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt']).status === 0

/** `tote <args>` as a shell word list. */
function toteWords(args: string[]): string {
  const command = toteCommand(args)
  return [command.file, ...command.args].map((arg) => `'${arg}'`).join(' ')
}

/**
 * Runs `lines` (shell) in a mount namespace; `run NAME ARGS…` in them runs tote and keeps its
 * output and exit code, read back with `outcome(NAME)`.
 */
async function inMountNamespace(project: Project, lines: string[], env: Record<string, string> = {}) {
  const out = join(project.dir, '..')
  const script = [
    `run() { name=$1; shift; "$@" > '${out}'/$name.out 2> '${out}'/$name.err; echo $? > '${out}'/$name.code; }`,
    ...lines,
  ].join('\n')
  // Not execFileSync: the registry answers from this process.
  await promisify(execFile)('unshare', ['-m', 'sh', '-c', script], {
    cwd: project.dir,
    env: {
      PATH: pathWithThisNode(),
      HOME: project.home,
      TOTE_CACHE_DIR: project.cache,
      npm_config_registry: registry.url,
      npm_config_userconfig: join(project.home, '.npmrc'),
      ...env,
    },
  })
  return (name: string) => ({
    code: Number(readFileSync(join(out, `${name}.code`), 'utf8')),
    stdout: readFileSync(join(out, `${name}.out`), 'utf8'),
    stderr: readFileSync(join(out, `${name}.err`), 'utf8'),
  })
}

describe.skipIf(!canMount)('file system faults (root only: real mounts)', () => {
  it('a full disk under node_modules: ENOSPC with a hint, and the next install (with space) repairs the tree', async () => {
    const project = scratch({ name: 'p', dependencies: { lib: '1.0.0', small: '1.0.0' } })
    const nodeModules = join(project.dir, 'node_modules')
    mkdirSync(nodeModules)
    const out = join(project.dir, '..')
    const outcome = await inMountNamespace(project, [
      `mount -t tmpfs -o size=200k tmpfs '${nodeModules}' || exit 97`,
      `run first ${toteWords(['install'])}`,
      `ls '${project.dir}' > '${out}/after-first'`,
      `mount -o remount,size=20m '${nodeModules}'`,
      `run second ${toteWords(['install'])}`,
      `cd '${nodeModules}' && find . -type f ! -name '.package-lock.json' | sort > '${out}/files'`,
      `sha1sum lib/data.txt > '${out}/data.sha1'`,
    ])
    const first = outcome('first')
    expect(first.stderr).not.toMatch(/unexpected error/)
    expect(first.code).toBe(1)
    expect(first.stderr).toContain('tote error ENOSPC: No space left on the disk')
    expect(first.stderr).toContain('hint: Free some space')
    // The run that failed did not write package-lock.json: only a finished install does.
    expect(readFileSync(join(out, 'after-first'), 'utf8')).toBe('node_modules\npackage.json\n')
    expect(outcome('second').code).toBe(0)
    expect(readFileSync(join(out, 'files'), 'utf8').split('\n').filter(Boolean)).toEqual([
      './lib/data.txt',
      './lib/index.js',
      './lib/package.json',
      './small/index.js',
      './small/package.json',
    ])
    const sha1 = createHash('sha1').update('x'.repeat(300_000)).digest('hex')
    expect(readFileSync(join(out, 'data.sha1'), 'utf8')).toContain(sha1)
  })

  it('a cache folder that cannot be written: ECACHEDIR with a hint, and no package-lock.json without node_modules', async () => {
    const project = scratch({ name: 'p', dependencies: { lib: '1.0.0' } })
    mkdirSync(project.cache)
    const outcome = await inMountNamespace(project, [
      `mount -t tmpfs -o ro tmpfs '${project.cache}' || exit 97`,
      `run install ${toteWords(['install'])}`,
    ])
    const result = outcome('install')
    expect(result.stderr).not.toMatch(/unexpected error|\n\s+at /)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      `tote error ECACHEDIR: The cache folder ${project.cache} cannot be written (EROFS)`,
    )
    expect(result.stderr).toContain('hint: Point tote at a writable folder with --cache-dir')
    expect(readdirSync(project.dir).sort()).toEqual(['package.json'])
  })

  it('a HOME that cannot be written (the default cache is in it): ECACHEDIR naming the folder', async () => {
    const project = scratch({ name: 'p', dependencies: { lib: '1.0.0' } })
    const outcome = await inMountNamespace(
      project,
      [`mount -t tmpfs -o ro tmpfs '${project.home}' || exit 97`, `run install ${toteWords(['install'])}`],
      { TOTE_CACHE_DIR: '', XDG_CACHE_HOME: '' },
    )
    const result = outcome('install')
    expect(result.stderr).not.toMatch(/unexpected error|\n\s+at /)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      `tote error ECACHEDIR: The cache folder ${join(project.home, '.cache', 'tote')} cannot be written`,
    )
    expect(readdirSync(project.dir).sort()).toEqual(['package.json'])
  })

  it('a read-only project that is already installed installs (nothing to change) with exit 0', async () => {
    const project = scratch({ name: 'p', dependencies: { lib: '1.0.0', small: '1.0.0' } })
    expect((await run(project, ['install'])).code).toBe(0)
    const outcome = await inMountNamespace(project, [
      `mount --bind -o ro '${project.dir}' '${project.dir}' || exit 97`,
      `run again ${toteWords(['install'])}`,
      `run ci ${toteWords(['ci'])}`,
    ])
    const again = outcome('again')
    expect(again.stderr).toBe('')
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/^up to date in /)
    // ci must empty node_modules, which it cannot: it says so, with the code and a hint.
    const ci = outcome('ci')
    expect(ci.code).toBe(1)
    expect(ci.stderr).toContain('tote error EROFS: The file system is read-only')
    expect(existsSync(join(project.dir, 'node_modules/lib/package.json'))).toBe(true)
  })
})
