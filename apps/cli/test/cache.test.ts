// The content cache as the CLI uses it: an entry is used only for the package it was fetched for,
// and only while its files are as they were written.
import {
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scratch, tote } from './_tote.js'

let registry: TestRegistry

const A_INDEX = 'module.exports = "a"\n'
const B_INDEX = 'module.exports = "b"\n'
const LIB_INDEX = 'module.exports = "lib"\n'
/** Same length as LIB_INDEX, so that only the content differs. */
const EVIL_INDEX = 'module.exports = "BAD"\n'

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: {
      a: { versions: { '1.0.0': { files: { 'index.js': A_INDEX, 'only-in-a.js': 'a' } } } },
      b: { versions: { '1.0.0': { files: { 'index.js': B_INDEX } } } },
      lib: { versions: { '1.0.0': { files: { 'index.js': LIB_INDEX, 'other.js': 'other\n' } } } },
      ...Object.fromEntries(
        Array.from({ length: 7 }, (_, i) => [`many${i}`, { versions: { '1.0.0': {} } }] as const),
      ),
    },
  })
})
afterAll(() => registry.close())

type Project = ReturnType<typeof scratch>

function run(project: Project, args: string[], cache = project.cache) {
  return tote(args, { ...project, cache, cwd: project.dir, registry: registry.url })
}

/** Every file below `dir` (absolute paths). */
function filesBelow(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? filesBelow(path) : entry.isFile() ? [path] : []
  })
}

/** The cache's file that `linked` (a file in node_modules) is a hard link of, found by inode. */
function cacheFileOf(cache: string, linked: string): string {
  const { ino, dev } = statSync(linked)
  const found = filesBelow(cache).filter((path) => {
    const info = statSync(path)
    return info.ino === ino && info.dev === dev
  })
  expect(found).toHaveLength(1)
  return found[0]!
}

describe('a cache entry is bound to the package it was fetched for', () => {
  it("does not install a's cached files as b when the lockfile gives b a's integrity", async () => {
    const first = scratch({ dependencies: { a: '1.0.0', b: '1.0.0' } })
    expect((await run(first, ['install'])).code).toBe(0)

    // A second project, same cache, whose lockfile was tampered with: b carries a's integrity.
    const second = scratch({ dependencies: { a: '1.0.0', b: '1.0.0' } })
    const lock = JSON.parse(readFileSync(join(first.dir, 'package-lock.json'), 'utf8'))
    expect(lock.packages['node_modules/b'].integrity).toBe(registry.integrity('b', '1.0.0'))
    lock.packages['node_modules/b'].integrity = registry.integrity('a', '1.0.0')
    writeFileSync(join(second.dir, 'package-lock.json'), JSON.stringify(lock, null, 2))

    const result = await run(second, ['ci'], first.cache)
    // npm fetches b from its own URL, finds it does not match, and fails: so does tote.
    expect(result.stderr).toContain('EINTEGRITY')
    expect(result.stderr).toContain(registry.tarballUrl('b', '1.0.0'))
    expect(result.code).toBe(1)
    expect(existsSync(join(second.dir, 'node_modules/b'))).toBe(false)
    expect(existsSync(join(second.dir, 'node_modules/.package-lock.json'))).toBe(false)

    // a's entry was not harmed: with the true lockfile, both install from the cache.
    lock.packages['node_modules/b'].integrity = registry.integrity('b', '1.0.0')
    writeFileSync(join(second.dir, 'package-lock.json'), JSON.stringify(lock, null, 2))
    const fixed = await run(second, ['ci'], first.cache)
    expect(fixed.stderr).toBe('')
    expect(fixed.stdout).toMatch(/added 2 packages .*\(0 downloaded\)/)
    expect(readFileSync(join(second.dir, 'node_modules/a/index.js'), 'utf8')).toBe(A_INDEX)
    expect(readFileSync(join(second.dir, 'node_modules/b/index.js'), 'utf8')).toBe(B_INDEX)
    expect(existsSync(join(second.dir, 'node_modules/b/only-in-a.js'))).toBe(false)
  })
})

describe('cache files are checked before they are linked', () => {
  it('fetches an entry again when one of its files was replaced inside the cache', async () => {
    const first = scratch({ dependencies: { lib: '1.0.0' } })
    expect((await run(first, ['install', '--linker-strategy', 'hardlink'])).code).toBe(0)
    const cached = cacheFileOf(first.cache, join(first.dir, 'node_modules/lib/index.js'))
    // A new file of the same size renamed over the cached one (as an editor's "safe write" does).
    writeFileSync(`${cached}.new`, EVIL_INDEX)
    renameSync(`${cached}.new`, cached)

    const second = scratch({ dependencies: { lib: '1.0.0' } })
    const result = await run(second, ['install'], first.cache)
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/added 1 package .*\(1 downloaded\)/)
    expect(readFileSync(join(second.dir, 'node_modules/lib/index.js'), 'utf8')).toBe(LIB_INDEX)
  })

  it("fetches an entry again when a file was edited through one project's hard link", async () => {
    const first = scratch({ dependencies: { lib: '1.0.0' } })
    expect((await run(first, ['install', '--linker-strategy', 'hardlink'])).code).toBe(0)
    const linked = join(first.dir, 'node_modules/lib/index.js')
    expect(statSync(linked).nlink).toBeGreaterThan(1)
    // Written in place: the inode is the cache's, so the cache's file changes with it.
    writeFileSync(linked, EVIL_INDEX)
    expect(readFileSync(cacheFileOf(first.cache, linked), 'utf8')).toBe(EVIL_INDEX)

    const second = scratch({ dependencies: { lib: '1.0.0' } })
    const result = await run(second, ['install', '--linker-strategy', 'hardlink'], first.cache)
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/added 1 package .*\(1 downloaded\)/)
    const installed = join(second.dir, 'node_modules/lib/index.js')
    expect(readFileSync(installed, 'utf8')).toBe(LIB_INDEX)
    // The new project shares no inode with the edited file.
    expect(statSync(installed).ino).not.toBe(statSync(linked).ino)
    expect(readFileSync(linked, 'utf8')).toBe(EVIL_INDEX)
  })

  it('names the first few damaged entries, then sums up the rest (--verbose lists them)', async () => {
    const many = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`many${i}`, '1.0.0']))
    const first = scratch({ dependencies: many })
    expect((await run(first, ['install'])).code).toBe(0)
    // As after copying the cache without its mtimes: every file is newer than its entry.
    const later = new Date(Date.now() + 60_000)
    for (const file of filesBelow(first.cache)) utimesSync(file, later, later)

    const second = scratch({ dependencies: many })
    const result = await run(second, ['install'], first.cache)
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/added 7 packages .*\(7 downloaded\)/)
    const warnings = result.stderr.trim().split('\n')
    expect(warnings).toHaveLength(6)
    for (const line of warnings.slice(0, 5)) {
      expect(line).toMatch(
        /^tote warn ECACHEDAMAGED: The cached copy of (many\d@1\.0\.0) is damaged \(.* was modified after it was cached\); fetching it again\. \(\1\)$/,
      )
    }
    expect(warnings[5]).toBe(
      'tote warn ECACHEDAMAGED: More cached packages like these are fetched again (--verbose lists them).',
    )
    for (let i = 0; i < 7; i++) {
      expect(readFileSync(join(second.dir, `node_modules/many${i}/package.json`), 'utf8')).toContain(
        `many${i}`,
      )
    }
  })
})

describe('tote cache verify', () => {
  it('checks every file, removes damaged entries, and exits 1 when it found damage', async () => {
    const project = scratch({ dependencies: { a: '1.0.0', b: '1.0.0', lib: '1.0.0' } })
    expect((await run(project, ['install', '--linker-strategy', 'hardlink'])).code).toBe(0)

    const clean = await run(project, ['cache', 'verify'])
    expect(clean.stderr).toBe('')
    expect(clean.code).toBe(0)
    expect(clean.stdout).toMatch(/3 entries checked/)
    expect(clean.stdout).toMatch(/0 damaged/)

    // The same size, and an mtime set back to before it was cached: only a hash of the content tells.
    const linked = join(project.dir, 'node_modules/lib/index.js')
    const before = statSync(linked)
    writeFileSync(linked, EVIL_INDEX)
    const past = new Date(before.mtimeMs - 60_000)
    utimesSync(linked, past, past)
    expect(statSync(linked).size).toBe(before.size)

    const damaged = await run(project, ['cache', 'verify'])
    expect(damaged.code).toBe(1)
    expect(damaged.stdout).toMatch(/3 entries checked/)
    expect(damaged.stdout).toMatch(/1 damaged/)
    expect(damaged.stdout).toMatch(/1 removed/)
    expect(damaged.stdout).toContain('lib@1.0.0')

    // Removed: the next install fetches it again, and the cache is whole again.
    const again = scratch({ dependencies: { a: '1.0.0', b: '1.0.0', lib: '1.0.0' } })
    const reinstall = await run(again, ['install'], project.cache)
    expect(reinstall.stdout).toMatch(/added 3 packages .*\(1 downloaded\)/)
    expect(readFileSync(join(again.dir, 'node_modules/lib/index.js'), 'utf8')).toBe(LIB_INDEX)
    const after = await run(project, ['cache', 'verify'])
    expect(after.code).toBe(0)
    expect(after.stdout).toMatch(/3 entries checked/)

    const help = await run(project, ['cache', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('Usage: tote cache verify')
    expect(help.stdout).toMatch(/Exit code: 0 when every entry is whole, 1 when damaged entries were found/)
    for (const args of [['cache'], ['cache', 'clean'], ['cache', 'verify', 'extra']]) {
      const wrong = await run(project, args)
      expect(wrong.code).toBe(2)
      expect(wrong.stderr).toContain('EUSAGE')
    }
  })
})
