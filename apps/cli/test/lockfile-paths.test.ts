import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scratch, tote } from './_tote.js'

// A tampered package-lock.json (or hidden lockfile) must never make tote write or delete outside
// the project's node_modules: such lockfiles are refused, naming the entry.

let registry: TestRegistry

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: {
      ms: { versions: { '1.0.0': { dependencies: { lib: '1.0.0' } } } },
      lib: { versions: { '1.0.0': {} } },
    },
  })
})
afterAll(() => registry.close())

type Project = ReturnType<typeof scratch>

function run(project: Project, args: string[]) {
  return tote(args, { ...project, cwd: project.dir, registry: registry.url })
}

/** A project with a source folder and a lockfile whose entries `tamper` changes. */
async function tamperedProject(tamper: (packages: Record<string, Record<string, unknown>>) => void) {
  const project = scratch({ name: 'p', version: '1.0.0', dependencies: { ms: '1.0.0' } })
  mkdirSync(join(project.dir, 'src'))
  writeFileSync(join(project.dir, 'src/index.js'), 'precious\n')
  const locked = await run(project, ['install', '--lockfile-only'])
  expect(locked.code).toBe(0)
  const lockPath = join(project.dir, 'package-lock.json')
  const lock = JSON.parse(readFileSync(lockPath, 'utf8'))
  tamper(lock.packages)
  writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`)
  return project
}

describe('lockfile keys that leave node_modules', () => {
  for (const command of ['install', 'ci']) {
    it(`${command} refuses "node_modules/.." and touches nothing`, async () => {
      const project = await tamperedProject((packages) => {
        packages['node_modules/..'] = { ...packages['node_modules/lib'] }
      })
      const result = await run(project, [command])
      expect(result.code).not.toBe(0)
      expect(result.stderr).toContain('ELOCKFILE')
      expect(result.stderr).toContain('node_modules/..')
      expect(readFileSync(join(project.dir, 'src/index.js'), 'utf8')).toBe('precious\n')
      expect(readdirSync(project.dir).sort()).toEqual(['package-lock.json', 'package.json', 'src'])
    })

    it(`${command} refuses a nested key that climbs out of the project`, async () => {
      const project = await tamperedProject((packages) => {
        packages['node_modules/ms/node_modules/../../../../victim'] = { ...packages['node_modules/lib'] }
        packages['node_modules/ms']!.dependencies = { lib: '1.0.0', '../../../../victim': '1.0.0' }
      })
      // The key resolves to a folder beside the project, inside this test's scratch folder.
      const outside = join(project.dir, '..', 'victim')
      mkdirSync(outside, { recursive: true })
      writeFileSync(join(outside, 'keep.txt'), 'outside\n')
      const result = await run(project, [command])
      expect(result.code).not.toBe(0)
      expect(result.stderr).toContain('ELOCKFILE')
      expect(result.stderr).toContain('node_modules/ms/node_modules/../../../../victim')
      expect(readdirSync(outside)).toEqual(['keep.txt'])
      expect(existsSync(join(project.dir, 'node_modules'))).toBe(false)
    })
  }

  it('install leaves out entries of linked folders outside the project', async () => {
    const project = await tamperedProject((packages) => {
      packages['../outside/node_modules/lib'] = { ...packages['node_modules/lib'] }
    })
    const result = await run(project, ['ci'])
    expect(result.stderr).not.toMatch(/unexpected error/)
    expect(result.code).toBe(0)
    expect(existsSync(join(project.dir, '..', 'outside'))).toBe(false)
    expect(existsSync(join(project.dir, 'node_modules/lib/package.json'))).toBe(true)
  })

  it('a tampered hidden lockfile is not trusted, and nothing outside is touched', async () => {
    const project = scratch({ name: 'p', version: '1.0.0', dependencies: { ms: '1.0.0' } })
    expect((await run(project, ['install'])).code).toBe(0)
    const hiddenPath = join(project.dir, 'node_modules/.package-lock.json')
    const hidden = JSON.parse(readFileSync(hiddenPath, 'utf8'))
    hidden.packages['node_modules/..'] = { version: '1.0.0' }
    writeFileSync(hiddenPath, JSON.stringify(hidden, null, 2))
    rmSync(join(project.dir, 'node_modules/lib/index.js'))
    mkdirSync(join(project.dir, 'src'))
    writeFileSync(join(project.dir, 'src/index.js'), 'precious\n')
    const result = await run(project, ['install'])
    expect(result.code).toBe(0)
    expect(readFileSync(join(project.dir, 'src/index.js'), 'utf8')).toBe('precious\n')
    // Not trusted: every package was placed again, so the missing file is back.
    expect(existsSync(join(project.dir, 'node_modules/lib/index.js'))).toBe(true)
  })
})
