import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scratch, tote } from './_tote.js'

// One install per project at a time: concurrent runs wait for each other, and all succeed.

let registry: TestRegistry
const names = Array.from({ length: 30 }, (_, i) => `pkg${i}`)

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: {
      ...Object.fromEntries(
        names.map((name, i) => [
          name,
          {
            versions: {
              '1.0.0': {
                dependencies: i > 0 ? { [names[i - 1]!]: '1.0.0' } : {},
                files: {
                  'index.js': `module.exports = ${JSON.stringify(name)}\n`,
                  'data.txt': name.repeat(5000),
                },
              },
            },
          },
        ]),
      ),
    },
  })
})
afterAll(() => registry.close())

type Project = ReturnType<typeof scratch>

function run(project: Project, args: string[], env: Record<string, string> = {}) {
  return tote(args, { ...project, cwd: project.dir, registry: registry.url, env })
}

function expectValidTree(project: Project) {
  for (const name of names) {
    expect(readFileSync(join(project.dir, 'node_modules', name, 'index.js'), 'utf8')).toContain(name)
  }
  const hidden = JSON.parse(readFileSync(join(project.dir, 'node_modules/.package-lock.json'), 'utf8'))
  expect(Object.keys(hidden.packages)).toHaveLength(names.length)
  // Nothing of any run is left behind: no lock, no marker.
  expect(readdirSync(join(project.dir, 'node_modules')).filter((name) => name.startsWith('.'))).toEqual([
    '.package-lock.json',
  ])
}

describe('concurrent runs in one project', () => {
  it('four installs at once all succeed and leave a valid tree', async () => {
    const project = scratch({ name: 'p', dependencies: Object.fromEntries(names.map((n) => [n, '1.0.0'])) })
    const results = await Promise.all([1, 2, 3, 4].map(() => run(project, ['install'])))
    for (const result of results) {
      expect(result.stderr).not.toMatch(/unexpected error/)
      expect(result.code).toBe(0)
    }
    // The runs that found the lock taken said so.
    expect(results.filter((result) => result.stderr.includes('ELOCKWAIT')).length).toBeGreaterThan(0)
    expectValidTree(project)
  })

  it('four ci runs at once all succeed and leave a valid tree', async () => {
    const project = scratch({ name: 'p', dependencies: Object.fromEntries(names.map((n) => [n, '1.0.0'])) })
    expect((await run(project, ['install', '--lockfile-only'])).code).toBe(0)
    const results = await Promise.all([1, 2, 3, 4].map(() => run(project, ['ci'])))
    for (const result of results) {
      expect(result.stderr).not.toMatch(/unexpected error/)
      expect(result.code).toBe(0)
    }
    expectValidTree(project)
  })

  it('takes over the lock of a run that died, and gives up on a live one after the wait', async () => {
    const project = scratch({ name: 'p', dependencies: { pkg0: '1.0.0' } })
    mkdirSync(join(project.dir, 'node_modules'))
    const lockPath = join(project.dir, 'node_modules/.tote-lock')
    // A pid that was alive and is not any more.
    const dead = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString()
    writeFileSync(lockPath, JSON.stringify({ pid: Number(dead), host: hostname(), started: Date.now() }))
    const afterDeath = await run(project, ['install'])
    expect(afterDeath.code).toBe(0)
    expect(existsSync(lockPath)).toBe(false)

    // This test's own process holds it now: alive, and its lock is fresh.
    writeFileSync(lockPath, JSON.stringify({ pid: process.pid, host: hostname(), started: Date.now() }))
    const blocked = await run(project, ['install'], { TOTE_LOCK_WAIT: '1' })
    expect(blocked.code).toBe(1)
    expect(blocked.stderr).toContain('ELOCKWAIT')
    expect(blocked.stderr).toContain(
      `tote error ELOCKED: tote (pid ${process.pid} on ${hostname()}) is still installing`,
    )
    expect(blocked.stderr).toContain(`delete ${lockPath}`)
    expect(existsSync(lockPath)).toBe(true)
  })
})
