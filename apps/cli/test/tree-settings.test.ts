import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { createTestRegistry, type RegistryPackages } from '@tote/test-registry'
import { describe, expect, it } from 'vitest'
import { scratch, tote } from './_tote.js'

// npm as the oracle of npm 6 lockfiles (lockfileVersion 1) and of the settings that shape the tree
// (before, min-release-age, min-release-age-exclude, install-links): oracle/npm-tree-settings.json holds, for each
// case of oracle/tree-settings-cases.json and each of its commands, run by npm 11 on a fresh copy of
// the project against @tote/test-registry (oracle/derive-tree-settings.mjs), the exit code, the
// package-lock.json npm left and what its node_modules held. tote runs the same commands on the same
// projects and must leave the same bytes and the same (path, name@version) set.

interface Case {
  name: string
  packages: RegistryPackages
  later?: RegistryPackages
  folders?: Record<string, unknown>
  packageJson: unknown
  npmrc?: string
  v1?: boolean
  /** Other files of the project (path -> text), e.g. what a `file:` folder holds besides package.json. */
  files?: Record<string, string>
  /** `self`: `ci` starts from npm's lockfile of the first command; a case's name: every command starts from that case's. */
  seed?: string
  /** Installed folders whose files are compared (null: a link, or nothing there). */
  listFiles?: string[]
  commands: string[][]
}
interface Recorded {
  args: string[]
  exit: number
  lockfile: string | null
  installed: string[]
  files?: Record<string, string[] | null>
}

const here = new URL('./oracle/', import.meta.url)
const { cases } = JSON.parse(readFileSync(new URL('tree-settings-cases.json', here), 'utf8')) as {
  cases: Case[]
}
const recorded = JSON.parse(readFileSync(new URL('npm-tree-settings.json', here), 'utf8')) as {
  flags: string[]
  results: Record<string, { v1?: string; commands: Recorded[] }>
}
const DAY = 86_400_000

/** The case's packages for the registry: a version's `daysAgo` becomes its publish time. */
function registryPackages(packages: RegistryPackages | undefined, now: number): RegistryPackages {
  const result: RegistryPackages = {}
  for (const [name, spec] of Object.entries(packages ?? {})) {
    const versions: RegistryPackages[string]['versions'] = {}
    for (const [version, fields] of Object.entries(spec.versions)) {
      const { daysAgo, ...rest } = fields as typeof fields & { daysAgo?: number }
      versions[version] = daysAgo === undefined ? rest : { ...rest, time: now - daysAgo * DAY }
    }
    result[name] = { ...spec, versions }
  }
  return result
}

/** The files under each installed folder of `folders` (sorted, node_modules left out); null for a link or nothing. */
function filesOf(dir: string, folders: string[]): Record<string, string[] | null> {
  const result: Record<string, string[] | null> = {}
  for (const folder of folders) {
    const root = join(dir, folder)
    if (!existsSync(root) || lstatSync(root).isSymbolicLink()) {
      result[folder] = null
      continue
    }
    const found: string[] = []
    const walk = (at: string, prefix: string) => {
      for (const name of readdirSync(at).sort()) {
        if (name === 'node_modules') continue
        if (lstatSync(join(at, name)).isDirectory()) walk(join(at, name), `${prefix}${name}/`)
        else found.push(`${prefix}${name}`)
      }
    }
    walk(root, '')
    result[folder] = found.sort()
  }
  return result
}

/** What node_modules holds: `path name@version` per package folder, `path -> target` per link. */
function installed(dir: string): string[] {
  const found: string[] = []
  const seen = new Set<string>()
  const walk = (folder: string, prefix: string) => {
    const modules = join(folder, 'node_modules')
    if (!existsSync(modules)) return
    for (const name of readdirSync(modules).sort()) {
      if (name.startsWith('.')) continue
      const names = name.startsWith('@')
        ? readdirSync(join(modules, name))
            .sort()
            .map((n) => `${name}/${n}`)
        : [name]
      for (const full of names) {
        const path = join(modules, full)
        const key = `${prefix}node_modules/${full}`
        if (lstatSync(path).isSymbolicLink()) {
          const target = readlinkSync(path)
          found.push(`${key} -> ${target}`)
          // a folder of the project's: what is installed in it
          const inside = relative(dir, resolve(dirname(path), target))
            .split(sep)
            .join('/')
          if (!inside.startsWith('..') && !seen.has(inside)) {
            seen.add(inside)
            walk(join(dir, inside), `${inside}/`)
          }
          continue
        }
        const pkg = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as {
          name: string
          version: string
        }
        found.push(`${key} ${pkg.name}@${pkg.version}`)
        walk(path, `${key}/`)
      }
    }
  }
  walk(dir, '')
  return found.sort()
}

describe('npm 6 lockfiles, before / min-release-age and install-links: the lockfile and tree npm 11 makes', () => {
  for (const c of cases) {
    const npm = recorded.results[c.name]!
    for (const [index, args] of c.commands.entries()) {
      it(`${c.name}: ${args.join(' ')}`, async () => {
        const now = Date.now()
        const registry = await createTestRegistry({ packages: registryPackages(c.packages, now) })
        try {
          if (c.later) registry.addPackages(registryPackages(c.later, now))
          const project = scratch(c.packageJson)
          for (const [folder, manifest] of Object.entries(c.folders ?? {})) {
            mkdirSync(join(project.dir, folder), { recursive: true })
            writeFileSync(join(project.dir, folder, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
          }
          for (const [path, text] of Object.entries(c.files ?? {})) {
            mkdirSync(dirname(join(project.dir, path)), { recursive: true })
            writeFileSync(join(project.dir, path), text)
          }
          writeFileSync(join(project.dir, '.npmrc'), c.npmrc ?? '')
          // npm's lockfile to start from: its own first command's for ci, or another case's
          const seed =
            c.seed === 'self'
              ? args[0] === 'ci'
                ? npm.commands[0]!.lockfile
                : null
              : c.seed !== undefined
                ? recorded.results[c.seed]!.commands[0]!.lockfile
                : null
          if (seed)
            writeFileSync(join(project.dir, 'package-lock.json'), seed.split('{registry}').join(registry.url))
          if (npm.v1 !== undefined) {
            writeFileSync(
              join(project.dir, 'package-lock.json'),
              npm.v1.split('{registry}').join(registry.url),
            )
          }
          const expected = npm.commands[index]!
          const run = await tote([...args, ...recorded.flags], {
            ...project,
            cwd: project.dir,
            registry: registry.url,
          })
          const what = `${c.name}: tote ${args.join(' ')}\n${run.stderr}`
          expect(run.code, what).toBe(expected.exit)
          const lock = join(project.dir, 'package-lock.json')
          expect(existsSync(lock) ? readFileSync(lock, 'utf8') : null, what).toBe(
            expected.lockfile?.split('{registry}').join(registry.url) ?? null,
          )
          expect(installed(project.dir), what).toEqual(expected.installed)
          if (c.listFiles) expect(filesOf(project.dir, c.listFiles), what).toEqual(expected.files)
        } finally {
          await registry.close()
        }
      })
    }
  }
})

describe('package-lock=false in .npmrc', () => {
  const packages: RegistryPackages = {
    app: {
      versions: {
        '1.0.0': { dependencies: { lib: '^1.0.0' } },
        '1.1.0': { dependencies: { lib: '^1.0.0' } },
      },
    },
    lib: { versions: { '1.0.0': {} } },
  }

  it('install and add neither read nor write package-lock.json; ci still installs from it, as npm ci', async () => {
    const registry = await createTestRegistry({ packages })
    try {
      const project = scratch({ name: 'p', version: '1.0.0', dependencies: { app: '^1.0.0' } })
      const options = { ...project, cwd: project.dir, registry: registry.url }
      writeFileSync(join(project.dir, '.npmrc'), 'package-lock=false\n')
      const lockPath = join(project.dir, 'package-lock.json')

      const fresh = await tote(['install'], options)
      expect(fresh.code, fresh.stderr).toBe(0)
      expect(existsSync(lockPath)).toBe(false)
      expect(installed(project.dir)).toEqual(['node_modules/app app@1.1.0', 'node_modules/lib lib@1.0.0'])

      // a lockfile there is not read (it is not even JSON) and stays as it is
      writeFileSync(lockPath, 'not even JSON')
      const again = await tote(['install'], options)
      expect(again.code, again.stderr).toBe(0)
      const added = await tote(['add', 'lib@1.0.0'], options)
      expect(added.code, added.stderr).toBe(0)
      expect(readFileSync(lockPath, 'utf8')).toBe('not even JSON')
      expect(JSON.parse(readFileSync(join(project.dir, 'package.json'), 'utf8')).dependencies).toEqual({
        app: '^1.0.0',
        lib: '^1.0.0',
      })

      // npm ci never skips the lockfile: it installs what it says
      writeFileSync(join(project.dir, '.npmrc'), '')
      rmSync(lockPath)
      writeFileSync(
        join(project.dir, 'package.json'),
        JSON.stringify({ name: 'p', version: '1.0.0', dependencies: { app: '1.0.0' } }),
      )
      const locked = await tote(['install', '--package-lock-only'], options)
      expect(locked.code, locked.stderr).toBe(0)
      writeFileSync(join(project.dir, '.npmrc'), 'package-lock=false\n')
      const ci = await tote(['ci'], options)
      expect(ci.code, ci.stderr).toBe(0)
      expect(installed(project.dir)).toEqual(['node_modules/app app@1.0.0', 'node_modules/lib lib@1.0.0'])
    } finally {
      await registry.close()
    }
  })
})

describe('install-links beyond the oracle', () => {
  it('a second install keeps the copy, as npm does (up to date), and ci places it again from the folder', async () => {
    const registry = await createTestRegistry({ packages: { b: { versions: { '1.0.0': {} } } } })
    try {
      const project = scratch({ name: 'p', version: '1.0.0', dependencies: { lib: 'file:vendor/lib' } })
      mkdirSync(join(project.dir, 'vendor/lib'), { recursive: true })
      writeFileSync(
        join(project.dir, 'vendor/lib/package.json'),
        JSON.stringify({ name: 'lib', version: '1.0.0', dependencies: { b: '^1.0.0' } }),
      )
      writeFileSync(join(project.dir, 'vendor/lib/index.js'), 'module.exports = 1\n')
      writeFileSync(join(project.dir, '.npmrc'), 'install-links=true\n')
      const options = { ...project, cwd: project.dir, registry: registry.url }
      const first = await tote(['install', ...recorded.flags], options)
      expect(first.code, first.stderr).toBe(0)
      expect(installed(project.dir)).toEqual(['node_modules/b b@1.0.0', 'node_modules/lib lib@1.0.0'])
      const copy = join(project.dir, 'node_modules/lib/index.js')
      expect(readFileSync(copy, 'utf8')).toBe('module.exports = 1\n')
      // the folder changes; its version does not: npm keeps the copy it has
      writeFileSync(join(project.dir, 'vendor/lib/index.js'), 'module.exports = 2\n')
      const second = await tote(['install', ...recorded.flags], options)
      expect(second.code, second.stderr).toBe(0)
      expect(second.stdout).toMatch(/^up to date/)
      expect(readFileSync(copy, 'utf8')).toBe('module.exports = 1\n')
      // ci starts over: packed from the folder as it is now
      const ci = await tote(['ci', ...recorded.flags], options)
      expect(ci.code, ci.stderr).toBe(0)
      expect(readFileSync(copy, 'utf8')).toBe('module.exports = 2\n')
    } finally {
      await registry.close()
    }
  })

  it('a folder with bundleDependencies is EUNSUPPORTED naming it, with a hint; nothing written', async () => {
    const registry = await createTestRegistry({ packages: { b: { versions: { '1.0.0': {} } } } })
    try {
      const project = scratch({ name: 'p', version: '1.0.0', dependencies: { lib: 'file:vendor/lib' } })
      mkdirSync(join(project.dir, 'vendor/lib/node_modules/b'), { recursive: true })
      writeFileSync(
        join(project.dir, 'vendor/lib/package.json'),
        JSON.stringify({
          name: 'lib',
          version: '1.0.0',
          dependencies: { b: '^1.0.0' },
          bundleDependencies: ['b'],
        }),
      )
      writeFileSync(
        join(project.dir, 'vendor/lib/node_modules/b/package.json'),
        JSON.stringify({ name: 'b', version: '1.0.0' }),
      )
      const run = await tote(['install', '--install-links', ...recorded.flags], {
        ...project,
        cwd: project.dir,
        registry: registry.url,
      })
      expect(run.code).toBe(1)
      expect(run.stderr).toContain(
        'tote error EUNSUPPORTED: lib@file:vendor/lib, wanted by root → lib@file:vendor/lib: install-links: the folder vendor/lib has bundleDependencies',
      )
      expect(run.stderr).toContain('hint: Turn install-links off for this project')
      expect(existsSync(join(project.dir, 'package-lock.json'))).toBe(false)
      expect(existsSync(join(project.dir, 'node_modules'))).toBe(false)
    } finally {
      await registry.close()
    }
  })
})

describe('tote ci on an npm 6 lockfile', () => {
  it('fails, changing nothing, when package.json wants what the lockfile does not hold', async () => {
    const c = cases[0]!
    const registry = await createTestRegistry({ packages: registryPackages(c.packages, Date.now()) })
    try {
      const manifest = c.packageJson as { dependencies: Record<string, string> }
      // b ^1 where the lockfile has b 2.0.0 at the top
      const project = scratch({ ...manifest, dependencies: { ...manifest.dependencies, b: '^1.0.0' } })
      const lockText = recorded.results[c.name]!.v1!.split('{registry}').join(registry.url)
      writeFileSync(join(project.dir, 'package-lock.json'), lockText)
      const run = await tote(['ci', ...recorded.flags], {
        ...project,
        cwd: project.dir,
        registry: registry.url,
      })
      expect(run.code).toBe(1)
      expect(run.stderr).toContain(
        'tote error ELOCKOUTOFSYNC: package-lock.json (lockfileVersion 1) does not match package.json:',
      )
      expect(run.stderr).toContain('package.json needs node_modules/b 1.5.0, the lockfile has 2.0.0')
      expect(readFileSync(join(project.dir, 'package-lock.json'), 'utf8')).toBe(lockText)
      expect(installed(project.dir)).toEqual([])
    } finally {
      await registry.close()
    }
  })
})
