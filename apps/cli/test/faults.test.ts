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
    it(`${command}: a file: tarball in resolved is named as not supported yet`, async () => {
      const project = await lockedWith('file:../lib-1.0.0.tgz')
      const result = await run(project, [command])
      expect(result.stderr).not.toMatch(/unexpected error|TypeError/)
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(
        'tote error EUNSUPPORTEDSOURCE: package-lock.json: node_modules/lib comes from "file:../lib-1.0.0.tgz"',
      )
      expect(result.stderr).toContain('hint:')
      expect(existsSync(join(project.dir, 'node_modules'))).toBe(false)
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

// A real full disk: a small tmpfs over node_modules, mounted in a mount namespace of the test's
// own (needs root, as CI runs; elsewhere the test is skipped and says why).
const canMount =
  spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt']).status === 0

describe('a full disk under node_modules', () => {
  it.skipIf(!canMount)(
    'fails with ENOSPC and a hint, and the next install (with space) repairs the tree',
    async () => {
      const project = scratch({ name: 'p', dependencies: { lib: '1.0.0', small: '1.0.0' } })
      const nodeModules = join(project.dir, 'node_modules')
      mkdirSync(nodeModules)
      const out = join(project.dir, '..')
      const command = toteCommand(['install'])
      const tote = [command.file, ...command.args].map((arg) => `'${arg}'`).join(' ')
      const script = [
        `mount -t tmpfs -o size=200k tmpfs '${nodeModules}' || exit 97`,
        `${tote} > '${out}/first.out' 2> '${out}/first.err'; echo $? > '${out}/first.code'`,
        `mount -o remount,size=20m '${nodeModules}'`,
        `${tote} > '${out}/second.out' 2> '${out}/second.err'; echo $? > '${out}/second.code'`,
        `cd '${nodeModules}' && find . -type f ! -name '.package-lock.json' | sort > '${out}/files'`,
        `sha1sum lib/data.txt > '${out}/data.sha1'`,
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
        },
      })
      const first = readFileSync(join(out, 'first.err'), 'utf8')
      expect(first).not.toMatch(/unexpected error/)
      expect(readFileSync(join(out, 'first.code'), 'utf8').trim()).toBe('1')
      expect(first).toContain('tote error ENOSPC: No space left on the disk')
      expect(first).toContain('hint: Free some space')
      expect(readFileSync(join(out, 'second.code'), 'utf8').trim()).toBe('0')
      expect(readFileSync(join(out, 'files'), 'utf8').split('\n').filter(Boolean)).toEqual([
        './lib/data.txt',
        './lib/index.js',
        './lib/package.json',
        './small/index.js',
        './small/package.json',
      ])
      const sha1 = createHash('sha1').update('x'.repeat(300_000)).digest('hex')
      expect(readFileSync(join(out, 'data.sha1'), 'utf8')).toContain(sha1)
      expect(readdirSync(out)).toContain('first.err')
    },
  )
})
