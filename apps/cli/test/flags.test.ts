import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scratch, tote } from './_tote.js'

// The command line a user meets: npm's flags, nothing ignored silently, npm's summary line.

let registry: TestRegistry

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: {
      app: {
        versions: {
          '1.0.0': { dependencies: { lib: '^1.0.0' } },
          '1.1.0': { dependencies: { lib: '^1.0.0' } },
        },
      },
      lib: { versions: { '1.0.0': {} } },
      tool: { versions: { '1.0.0': { bin: { tool: 'cli.js' } } } },
      devonly: { versions: { '1.0.0': {} } },
      native: { versions: { '1.0.0': { os: ['aix'], cpu: ['ppc64'] } } },
      scripted: { versions: { '1.0.0': { scripts: { postinstall: 'node -e 0' } } } },
      // Like esbuild: many optional packages, fetched at once.
      many: {
        versions: {
          '1.0.0': {
            optionalDependencies: Object.fromEntries(
              Array.from({ length: 16 }, (_, i) => [`opt${i}`, '1.0.0']),
            ),
          },
        },
      },
      ...Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`opt${i}`, { versions: { '1.0.0': {} } }])),
    },
  })
})
afterAll(() => registry.close())

type Project = ReturnType<typeof scratch>

function run(project: Project, args: string[], env: Record<string, string> = {}) {
  return tote(args, { ...project, cwd: project.dir, registry: registry.url, env })
}

const listing = (project: Project) => readdirSync(project.dir).sort()

describe('nothing ignored silently', () => {
  it('install with a spec tote cannot add is an error, and writes nothing', async () => {
    // git, folder and tarball specs are added as npm adds them (add-specs.test.ts); a gist is not served
    const project = scratch({ name: 'p', dependencies: { lib: '1.0.0' } })
    const result = await run(project, ['install', 'gist:someone/ms'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      'tote error EUNSUPPORTEDSPEC: "gist:someone/ms" is a gist spec: tote does not install gists',
    )
    expect(listing(project)).toEqual(['package.json'])
  })

  it('ci with an argument is an error', async () => {
    const project = scratch({ name: 'p', dependencies: { lib: '1.0.0' } })
    const result = await run(project, ['ci', 'lib'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('tote error EUSAGE: tote ci takes no arguments (got "lib")')
  })

  it('a dependency that is a number is an error naming the field; nothing is written', async () => {
    const project = scratch('{\n  "name": "p",\n  "dependencies": { "lib": 2 }\n}\n')
    const result = await run(project, ['install'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('tote error EPACKAGEJSON:')
    expect(result.stderr).toContain('dependencies["lib"] must be a string')
    expect(listing(project)).toEqual(['package.json'])
  })

  it("runs the project's own scripts, names the dependencies' skipped ones; --silent keeps the warning, --ignore-scripts drops both", async () => {
    const manifest = {
      name: 'p',
      scripts: { prepare: 'echo prepared > prepared.txt', test: 'vitest' },
      dependencies: { scripted: '1.0.0' },
    }
    const project = scratch(manifest)
    const result = await run(project, ['install', '--silent'])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('')
    expect(readFileSync(join(project.dir, 'prepared.txt'), 'utf8')).toBe('prepared\n')
    expect(result.stderr).toContain(
      'tote warn ESCRIPTSSKIPPED: 1 package has install scripts that did not run (not yet covered by allowScripts):\n  scripted@1.0.0 (postinstall: node -e 0)',
    )
    const ignoring = scratch(manifest)
    const quiet = await run(ignoring, ['install', '--ignore-scripts'])
    expect(quiet.code).toBe(0)
    expect(quiet.stderr).toBe('')
    expect(existsSync(join(ignoring.dir, 'prepared.txt'))).toBe(false)
  })
})

describe("npm's flags", () => {
  it('runs the CI line written for npm: ci --no-audit --no-fund --loglevel=error', async () => {
    const project = scratch({ name: 'p', dependencies: { app: '1.0.0' } })
    expect((await run(project, ['install', '--lockfile-only'])).code).toBe(0)
    const result = await run(project, [
      'ci',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      '--no-update-notifier',
    ])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^added 2 packages in [\d.]+s \(2 downloaded\)\n$/)
    expect(readdirSync(join(project.dir, 'node_modules')).sort()).toEqual([
      '.package-lock.json',
      'app',
      'lib',
    ])
  })

  it('reads --flag=true and --flag=false as npm does', async () => {
    const project = scratch({ name: 'p', dependencies: { tool: '1.0.0' } })
    const result = await run(project, ['install', '--audit=false', '--bin-links=false', '--color=always'])
    expect(result.code).toBe(0)
    expect(existsSync(join(project.dir, 'node_modules/tool/package.json'))).toBe(true)
    expect(existsSync(join(project.dir, 'node_modules/.bin'))).toBe(false)
  })

  it('--production leaves devDependencies out', async () => {
    const project = scratch({
      name: 'p',
      dependencies: { lib: '1.0.0' },
      devDependencies: { devonly: '1.0.0' },
    })
    const result = await run(project, ['install', '--production'])
    expect(result.code).toBe(0)
    expect(existsSync(join(project.dir, 'node_modules/lib'))).toBe(true)
    expect(existsSync(join(project.dir, 'node_modules/devonly'))).toBe(false)
  })

  it('--no-save installs without writing package-lock.json; --no-package-lock neither reads nor writes it', async () => {
    const project = scratch({ name: 'p', dependencies: { lib: '1.0.0' } })
    const noSave = await run(project, ['install', '--no-save'])
    expect(noSave.code).toBe(0)
    expect(existsSync(join(project.dir, 'package-lock.json'))).toBe(false)
    expect(existsSync(join(project.dir, 'node_modules/lib'))).toBe(true)

    const other = scratch({ name: 'p', dependencies: { app: '^1.0.0' } })
    const lockPath = join(other.dir, 'package-lock.json')
    writeFileSync(lockPath, 'not even JSON')
    const noLock = await run(other, ['install', '--no-package-lock'])
    expect(noLock.code).toBe(0)
    expect(readFileSync(lockPath, 'utf8')).toBe('not even JSON')
    expect(JSON.parse(readFileSync(join(other.dir, 'node_modules/app/package.json'), 'utf8')).version).toBe(
      '1.1.0',
    )
  })

  it('--frozen-lockfile installs the lockfile as it is, and fails without changing anything when it is out of date', async () => {
    const project = scratch({ name: 'p', dependencies: { app: '1.0.0' } })
    expect((await run(project, ['install', '--lockfile-only'])).code).toBe(0)
    const frozen = await run(project, ['install', '--frozen-lockfile'])
    expect(frozen.code).toBe(0)
    expect(frozen.stdout).toMatch(/^added 2 packages/)
    const lockBefore = readFileSync(join(project.dir, 'package-lock.json'), 'utf8')
    writeFileSync(
      join(project.dir, 'package.json'),
      JSON.stringify({ name: 'p', dependencies: { app: '1.1.0' } }),
    )
    const stale = await run(project, ['install', '--frozen-lockfile'])
    expect(stale.code).toBe(1)
    expect(stale.stderr).toContain(
      'tote error ELOCKOUTOFSYNC: package-lock.json does not match package.json:',
    )
    expect(stale.stderr).toContain('without --frozen-lockfile')
    expect(readFileSync(join(project.dir, 'package-lock.json'), 'utf8')).toBe(lockBefore)
    expect(JSON.parse(readFileSync(join(project.dir, 'node_modules/app/package.json'), 'utf8')).version).toBe(
      '1.0.0',
    )
  })

  it('--dry-run says what would change and writes nothing', async () => {
    const project = scratch({ name: 'p', dependencies: { app: '1.0.0' } })
    expect((await run(project, ['install'])).code).toBe(0)
    const lockBefore = readFileSync(join(project.dir, 'package-lock.json'), 'utf8')
    writeFileSync(
      join(project.dir, 'package.json'),
      JSON.stringify({ name: 'p', dependencies: { app: '1.1.0', tool: '1.0.0' } }),
    )
    const result = await run(project, ['install', '--dry-run'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('change node_modules/app 1.1.0')
    expect(result.stdout).toContain('add node_modules/tool 1.0.0')
    expect(result.stdout).toMatch(
      /dry run: would have added 1 package and changed 1 package; package-lock.json would change; nothing was written/,
    )
    expect(readFileSync(join(project.dir, 'package-lock.json'), 'utf8')).toBe(lockBefore)
    expect(existsSync(join(project.dir, 'node_modules/tool'))).toBe(false)
  })

  it('--os and --cpu choose the platform of optional packages', async () => {
    const project = scratch({ name: 'p', optionalDependencies: { native: '1.0.0' } })
    const here = await run(project, ['install'])
    expect(here.code).toBe(0)
    expect(existsSync(join(project.dir, 'node_modules/native'))).toBe(false)
    const there = await run(project, ['install', '--os', 'aix', '--cpu', 'ppc64'])
    expect(there.code).toBe(0)
    expect(existsSync(join(project.dir, 'node_modules/native/package.json'))).toBe(true)
  })

  it('refuses what it cannot do, in a flag or in .npmrc', async () => {
    const project = scratch({ name: 'p', dependencies: { lib: '1.0.0' } })
    const global = await run(project, ['install', '-g'])
    expect(global.code).toBe(2)
    expect(global.stderr).toContain('tote error EUNSUPPORTED: tote install does not take --global')
    // a project without workspaces has none to choose
    const ws = await run(project, ['ci', '--workspace', 'a'])
    expect(ws.code).toBe(1)
    expect(ws.stderr).toContain('tote error ENOWORKSPACE: No workspaces found: --workspace=a')
    writeFileSync(join(project.dir, '.npmrc'), 'install-strategy=linked\n')
    const linked = await run(project, ['install'])
    expect(linked.code).toBe(1)
    expect(linked.stderr).toContain('tote error EUNSUPPORTED: install-strategy=linked is not supported')
    expect(listing(project)).toEqual(['.npmrc', 'package.json'])
  })
})

describe('no Node warnings reach the user', () => {
  it('resolves a package with many optional dependencies without a MaxListenersExceededWarning', async () => {
    const project = scratch({ name: 'p', dependencies: { many: '1.0.0' } })
    const result = await run(project, ['install'])
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
    expect(result.stdout).toMatch(/^added 17 packages in /)
  })
})

describe('mistakes get a suggestion', () => {
  it.each([
    [['instal'], 'EUNKNOWNCOMMAND', 'Unknown command "instal". Did you mean "install"?'],
    [
      ['install', '--frozen-lockfil'],
      'EUSAGE',
      "Unknown option '--frozen-lockfil'. Did you mean '--frozen-lockfile'?",
    ],
    [['ci', '--no-fnud'], 'EUSAGE', "Unknown option '--no-fnud'. Did you mean '--no-fund'?"],
    [
      ['help', 'instll'],
      'EUNKNOWNCOMMAND',
      'There is no help on "instll": it is not a tote command. Did you mean "install"?',
    ],
  ])('tote %j', async (args, code, message) => {
    const project = scratch({ name: 'p' })
    const result = await run(project, args)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`tote error ${code}: ${message}`)
  })
})

describe("npm's summary line", () => {
  it('says added, changed, removed and up to date, with plurals', async () => {
    const project = scratch({ name: 'p', dependencies: { lib: '1.0.0' } })
    expect((await run(project, ['install'])).stdout).toMatch(/^added 1 package in /)
    expect((await run(project, ['install'])).stdout).toMatch(/^up to date in /)
    writeFileSync(
      join(project.dir, 'package.json'),
      JSON.stringify({ name: 'p', dependencies: { app: '1.0.0' } }),
    )
    expect((await run(project, ['install'])).stdout).toMatch(/^added 1 package in /)
    writeFileSync(
      join(project.dir, 'package.json'),
      JSON.stringify({ name: 'p', dependencies: { app: '1.1.0', tool: '1.0.0' } }),
    )
    expect((await run(project, ['install'])).stdout).toMatch(/^added 1 package and changed 1 package in /)
    writeFileSync(
      join(project.dir, 'package.json'),
      JSON.stringify({ name: 'p', dependencies: { tool: '1.0.0' } }),
    )
    expect((await run(project, ['install'])).stdout).toMatch(/^removed 2 packages in /)
  })
})
