import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scratch, startTote, tote } from './_tote.js'

// Lifecycle scripts end to end: the built tote against the loopback registry, real scripts, real files.

let registry: TestRegistry

/** A script line that appends "start <what>", waits a moment for anything overlapping, then "end <what>". */
const journal = (what: string) =>
  `echo "start ${what}" >> "$INIT_CWD/journal.txt"; sleep 0.1; echo "end ${what}" >> "$INIT_CWD/journal.txt"`

/** A build whose result names the process that made it, and that notes each run in the project. */
const EDITOR_INDEX = 'module.exports = 1\n'

const countedBuild = 'echo "built by $$" > built.txt; echo "counted postinstall" >> "$INIT_CWD/journal.txt"'

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: {
      dep: {
        versions: {
          '1.0.0': {
            dependencies: { leaf: '1.0.0' },
            scripts: { postinstall: `${journal('dep postinstall')}; env > "$INIT_CWD/env-dep.txt"` },
          },
        },
      },
      leaf: {
        versions: {
          '1.0.0': {
            scripts: {
              preinstall: journal('leaf preinstall'),
              install: journal('leaf install'),
              postinstall: journal('leaf postinstall'),
            },
          },
        },
      },
      other: {
        versions: {
          '1.0.0': { scripts: { postinstall: journal('other@1 postinstall') } },
          '2.0.0': { scripts: { postinstall: journal('other@2 postinstall') } },
        },
      },
      plain: { versions: { '1.0.0': {} } },
      // placed by the holding cloner only once a script has written started.txt (see below)
      slow: { versions: { '1.0.0': {} } },
      early: { versions: { '1.0.0': { scripts: { postinstall: 'echo early > "$INIT_CWD/started.txt"' } } } },
      'uses-tool': {
        versions: {
          '1.0.0': {
            dependencies: { tool: '1.0.0' },
            scripts: {
              postinstall: 'hello from-uses-tool > "$INIT_CWD/hello.txt" && echo > "$INIT_CWD/started.txt"',
            },
          },
        },
      },
      failing: {
        versions: {
          '1.0.0': { scripts: { postinstall: 'echo "making things"; echo "cc: not found" >&2; exit 3' } },
        },
      },
      optfail: { versions: { '1.0.0': { scripts: { install: 'exit 1' } } } },
      counted: { versions: { '1.0.0': { scripts: { postinstall: countedBuild } } } },
      // its script writes into its own file in place: through a hard link, into the cache's
      editor: {
        versions: {
          '1.0.0': {
            scripts: { postinstall: 'echo edited >> index.js' },
            files: { 'index.js': EDITOR_INDEX },
          },
        },
      },
      xtool: {
        versions: {
          '1.0.0': {
            bin: { xtool: 'cli.js' },
            scripts: { postinstall: 'echo yes > built.txt' },
            files: {
              'cli.js':
                "#!/usr/bin/env node\nconst built = require('fs').existsSync(__dirname + '/built.txt')\nconsole.log([built ? 'built' : 'not built', process.cwd(), ...process.argv.slice(2)].join(' '))\n",
            },
          },
        },
      },
      tool: {
        versions: {
          '1.0.0': {
            bin: { hello: 'hello.js' },
            files: {
              'hello.js':
                '#!/usr/bin/env node\nconsole.log(["hello", ...process.argv.slice(2), process.env.npm_lifecycle_event].join(" "))\n',
            },
          },
        },
      },
      addon: {
        versions: {
          '1.0.0': {
            files: {
              'binding.gyp': JSON.stringify({ targets: [{ target_name: 'addon', sources: ['addon.c'] }] }),
              'addon.c': [
                '#include <node_api.h>',
                'static napi_value Init(napi_env env, napi_value exports) {',
                '  napi_value answer;',
                '  napi_create_int32(env, 42, &answer);',
                '  napi_set_named_property(env, exports, "answer", answer);',
                '  return exports;',
                '}',
                'NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)',
                '',
              ].join('\n'),
              'index.js': "module.exports = require('./build/Release/addon.node')\n",
            },
          },
        },
      },
    },
  })
})

afterAll(async () => {
  await registry?.close()
})

type Project = ReturnType<typeof scratch>

function run(project: Project, args: string[], env: Record<string, string> = {}) {
  return tote(args, {
    cwd: project.dir,
    home: project.home,
    cache: project.cache,
    registry: registry.url,
    env,
  })
}

function lines(project: Project, file = 'journal.txt'): string[] {
  const path = join(project.dir, file)
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : []
}

function readEnv(file: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const cut = line.indexOf('=')
    if (cut > 0) env[line.slice(0, cut)] = line.slice(cut + 1)
  }
  return env
}

const projectEvents = [
  'preinstall',
  'install',
  'postinstall',
  'prepublish',
  'preprepare',
  'prepare',
  'postprepare',
]

describe("the project's own scripts", () => {
  it("run after install and ci in npm's order, with npm's environment; --ignore-scripts turns them off", async () => {
    const scripts = Object.fromEntries(
      projectEvents.map((event) => [event, 'echo "$npm_lifecycle_event $npm_command" >> events.txt']),
    )
    scripts.postinstall = `${scripts.postinstall}; env > env.txt`
    const project = scratch({ name: 'app', version: '1.2.3', scripts })
    const installed = await run(project, ['install'])
    expect(installed.stderr).toBe('')
    expect(installed.code).toBe(0)
    expect(lines(project, 'events.txt')).toEqual(projectEvents.map((event) => `${event} install`))
    // npm's banner before each, on stdout
    expect(installed.stdout).toContain(
      '\n> app@1.2.3 postinstall\n> echo "$npm_lifecycle_event $npm_command" >> events.txt; env > env.txt\n',
    )
    const env = readEnv(join(project.dir, 'env.txt'))
    expect(env).toMatchObject({
      npm_lifecycle_event: 'postinstall',
      npm_lifecycle_script: scripts.postinstall,
      npm_package_json: join(project.dir, 'package.json'),
      npm_package_name: 'app',
      npm_package_version: '1.2.3',
      npm_config_registry: registry.url,
      npm_config_local_prefix: project.dir,
      npm_node_execpath: process.execPath,
      npm_command: 'install',
      INIT_CWD: project.dir,
    })
    expect(env.npm_execpath).toMatch(/bin[/\\]tote\.js$/)
    expect(env.npm_config_user_agent).toMatch(/^tote\/\S+ node\/v\S+ /)
    const path = env.PATH!.split(delimiter)
    expect(path[0]).toBe(join(project.dir, 'node_modules', '.bin'))
    expect(path[1]).toBe(join(dirname(project.dir), 'node_modules', '.bin'))
    expect(path).toContain(join(project.cache, 'node-gyp-bin'))

    writeFileSync(join(project.dir, 'events.txt'), '')
    const ci = await run(project, ['ci'])
    expect(ci.code).toBe(0)
    expect(lines(project, 'events.txt')).toEqual(projectEvents.map((event) => `${event} ci`))

    writeFileSync(join(project.dir, 'events.txt'), '')
    expect((await run(project, ['ci', '--ignore-scripts'])).code).toBe(0)
    expect((await run(project, ['install'], { npm_config_ignore_scripts: 'true' })).code).toBe(0)
    expect(readFileSync(join(project.dir, 'events.txt'), 'utf8')).toBe('')
  })

  it('a failing project script fails the install with ESCRIPTFAILED', async () => {
    const project = scratch({ name: 'app', version: '1.0.0', scripts: { prepare: 'exit 4' } })
    const result = await run(project, ['install'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      'tote error ESCRIPTFAILED: app@1.0.0 prepare script failed (exit code 4): exit 4',
    )
  })
})

describe("dependencies' install scripts", () => {
  it('are skipped and named until approved; the approval is written as npm writes it, and the next install runs them', async () => {
    const before =
      '{\n  "name": "p",\n  "version": "1.0.0",\n  "dependencies": {\n    "dep": "1.0.0",\n    "other": "1.0.0"\n  }\n}\n'
    const project = scratch(before)
    const first = await run(project, ['install'])
    expect(first.code).toBe(0)
    expect(lines(project)).toEqual([])
    expect(first.stderr).toBe(
      [
        'tote warn ESCRIPTSSKIPPED: 3 packages have install scripts that did not run (not yet covered by allowScripts):',
        `  dep@1.0.0 (postinstall: ${journal('dep postinstall')}; env > "$INIT_CWD/env-dep.txt")`,
        `  leaf@1.0.0 (preinstall: ${journal('leaf preinstall')}; install: ${journal('leaf install')}; postinstall: ${journal('leaf postinstall')})`,
        `  other@1.0.0 (postinstall: ${journal('other@1 postinstall')})`,
        'Review them, then run `tote install-scripts approve dep leaf other` (the next `tote install` runs them), or `tote install-scripts deny <pkg>` to keep them off.',
        '',
      ].join('\n'),
    )
    // --silent still says it: the project may not work without them
    expect((await run(project, ['install', '--silent'])).stderr).toContain('ESCRIPTSSKIPPED: 3 packages')

    const listed = await run(project, ['install-scripts', 'ls'])
    expect(listed.stdout).toContain(
      '3 packages have install scripts not yet covered by allowScripts:\n  dep@1.0.0 (postinstall:',
    )

    const approved = await run(project, ['install-scripts', 'approve', 'dep'])
    expect(approved.code).toBe(0)
    expect(approved.stdout).toBe(
      'Approved dep:\n  added dep@1.0.0\nTheir install scripts have not run yet: the next `tote install` runs them.\n',
    )
    // npm 11.19.1, `npm install-scripts approve dep` in the same project installed by npm from
    // this registry: these bytes.
    expect(readFileSync(join(project.dir, 'package.json'), 'utf8')).toBe(
      '{\n  "name": "p",\n  "version": "1.0.0",\n  "dependencies": {\n    "dep": "1.0.0",\n    "other": "1.0.0"\n  },\n  "allowScripts": {\n    "dep@1.0.0": true\n  }\n}\n',
    )

    const second = await run(project, ['install'])
    expect(second.code).toBe(0)
    expect(lines(project)).toEqual(['start dep postinstall', 'end dep postinstall'])
    expect(second.stderr).toContain('2 packages have install scripts that did not run')
    expect(second.stderr).not.toContain('dep@1.0.0')
    // The environment npm gives a dependency's install script.
    const env = readEnv(join(project.dir, 'env-dep.txt'))
    expect(env).toMatchObject({
      npm_lifecycle_event: 'postinstall',
      npm_package_name: 'dep',
      npm_package_version: '1.0.0',
      npm_package_json: join(project.dir, 'node_modules', 'dep', 'package.json'),
      npm_package_resolved: registry.tarballUrl('dep', '1.0.0'),
      npm_package_integrity: registry.integrity('dep', '1.0.0'),
      npm_package_optional: '',
      npm_package_dev: '',
      INIT_CWD: project.dir,
      npm_command: 'install',
    })
    expect(env.PATH!.split(delimiter).slice(0, 3)).toEqual([
      join(project.dir, 'node_modules', 'dep', 'node_modules', '.bin'),
      join(project.dir, 'node_modules', 'node_modules', '.bin'),
      join(project.dir, 'node_modules', '.bin'),
    ])

    // Ran once: a third install has nothing left to run for dep.
    await run(project, ['install'])
    expect(lines(project)).toEqual(['start dep postinstall', 'end dep postinstall'])
  })

  it("run each package's scripts only after its dependencies' scripts have ended", async () => {
    const project = scratch({
      name: 'p',
      dependencies: { dep: '1.0.0', other: '1.0.0' },
      allowScripts: { dep: true, leaf: true, other: true },
    })
    const result = await run(project, ['install'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const journal = lines(project)
    expect(new Set(journal)).toEqual(
      new Set(
        [
          'dep postinstall',
          'leaf preinstall',
          'leaf install',
          'leaf postinstall',
          'other@1 postinstall',
        ].flatMap((what) => [`start ${what}`, `end ${what}`]),
      ),
    )
    const at = (line: string) => journal.indexOf(line)
    expect(at('end leaf preinstall')).toBeLessThan(at('start leaf install'))
    expect(at('end leaf install')).toBeLessThan(at('start leaf postinstall'))
    expect(at('end leaf postinstall')).toBeLessThan(at('start dep postinstall'))
  })

  it('honour pinned, exact-version and name entries, denials, ignored ranges, and bun trustedDependencies', async () => {
    const project = scratch({
      name: 'p',
      dependencies: { dep: '1.0.0', other: '2.0.0' },
      allowScripts: { 'other@1.0.0 || 2.0.0': true, leaf: false, 'dep@^1.0.0': true },
    })
    const result = await run(project, ['install'])
    expect(result.code).toBe(0)
    expect(lines(project)).toEqual(['start other@2 postinstall', 'end other@2 postinstall'])
    expect(result.stderr).toContain(
      'package.json: ignoring "dep@^1.0.0" — semver ranges (^, ~, >=, <) are not allowed; use exact versions joined by "||" instead',
    )
    // dep is unreviewed (its range entry does not count) and named; leaf is denied: skipped without a word
    expect(result.stderr).toContain('1 package has install scripts that did not run')
    expect(result.stderr).toContain('  dep@1.0.0 (postinstall:')
    expect(result.stderr).not.toContain('leaf@1.0.0')

    const bun = scratch({ name: 'p', dependencies: { dep: '1.0.0' }, trustedDependencies: ['dep', 'leaf'] })
    const trusted = await run(bun, ['install'])
    expect(trusted.stderr).toBe('')
    expect(lines(bun)).toContain('end dep postinstall')
    expect(lines(bun)).toContain('end leaf postinstall')
  })

  it('npm settings: strict-allow-scripts fails, dangerously-allow-all-scripts runs even denied ones, allow-scripts is refused in a project; --unreviewed-scripts=run does as npm', async () => {
    const manifest = {
      name: 'p',
      dependencies: { other: '1.0.0', plain: '1.0.0' },
      allowScripts: { other: false },
    }
    const strict = scratch({ name: 'p', dependencies: { other: '1.0.0' } })
    const failed = await run(strict, ['install', '--strict-allow-scripts'])
    expect(failed.code).toBe(1)
    expect(failed.stderr).toContain(
      'tote error ESTRICTALLOWSCRIPTS: --strict-allow-scripts: 1 package(s) have install scripts not covered by allowScripts:\n  other@1.0.0 (postinstall:',
    )
    const all = scratch(manifest)
    expect((await run(all, ['install', '--dangerously-allow-all-scripts'])).code).toBe(0)
    expect(lines(all)).toEqual(['start other@1 postinstall', 'end other@1 postinstall'])
    const refused = await run(scratch(manifest), ['install', '--allow-scripts=other'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain(
      'tote error EALLOWSCRIPTS: --allow-scripts is not allowed in project-scoped installs.',
    )
    const npmLike = scratch({ name: 'p', dependencies: { other: '1.0.0' } })
    const ran = await run(npmLike, ['install', '--unreviewed-scripts=run'])
    expect(ran.stderr).toBe('')
    expect(lines(npmLike)).toEqual(['start other@1 postinstall', 'end other@1 postinstall'])
  })

  it('a failing script fails the install for a required package (named with its exit code and log), and removes an optional one', async () => {
    const project = scratch({
      name: 'p',
      dependencies: { failing: '1.0.0' },
      allowScripts: { failing: true },
    })
    const result = await run(project, ['install'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      'tote error ESCRIPTFAILED: failing@1.0.0 postinstall script failed (exit code 3):',
    )
    expect(result.stderr).toContain('  | cc: not found')
    const log = /full log: (\S+)/.exec(result.stderr)?.[1]
    expect(log).toBeDefined()
    expect(log!.startsWith(join(project.cache, 'logs'))).toBe(true)
    expect(readFileSync(log!, 'utf8')).toBe('making things\ncc: not found\n')
    // as npm: package-lock.json is written after the dependencies' scripts, so not at all here
    expect(existsSync(join(project.dir, 'package-lock.json'))).toBe(false)

    // tote add, whose scripts run while the tree is placed: package.json and the lockfile stay as they were
    const adding = scratch({ name: 'p', allowScripts: { failing: true } })
    const before = readFileSync(join(adding.dir, 'package.json'), 'utf8')
    const added = await run(adding, ['add', 'failing@1.0.0'])
    expect(added.code).toBe(1)
    expect(added.stderr).toContain(
      'tote error ESCRIPTFAILED: failing@1.0.0 postinstall script failed (exit code 3):',
    )
    expect(readFileSync(join(adding.dir, 'package.json'), 'utf8')).toBe(before)
    expect(existsSync(join(adding.dir, 'package-lock.json'))).toBe(false)

    const optional = scratch({
      name: 'p',
      dependencies: { plain: '1.0.0' },
      optionalDependencies: { optfail: '1.0.0' },
      allowScripts: { optfail: true },
    })
    const warned = await run(optional, ['install'])
    expect(warned.code).toBe(0)
    expect(warned.stderr).toContain(
      'tote warn EOPTIONALSCRIPT: optional dependency optfail@1.0.0 was removed: its install script failed (exit code 1); log: ',
    )
    expect(existsSync(join(optional.dir, 'node_modules', 'optfail'))).toBe(false)
    expect(existsSync(join(optional.dir, 'node_modules', 'plain'))).toBe(true)
  })
})

/** The inodes of every file in the cache (`dev:ino`): a node_modules file among them is linked from it. */
function cacheInodes(dir: string, found = new Set<string>()): Set<string> {
  if (!existsSync(dir)) return found
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) cacheInodes(path, found)
    else if (entry.isFile()) {
      const info = statSync(path)
      found.add(`${info.dev}:${info.ino}`)
    }
  }
  return found
}

function linkedFromCache(project: Project, file: string): boolean {
  const info = statSync(join(project.dir, file))
  return cacheInodes(project.cache).has(`${info.dev}:${info.ino}`)
}

describe('install scripts and the content cache', () => {
  it('a package whose scripts run gets files of its own; one whose scripts do not run is linked from the cache', async () => {
    const project = scratch({
      name: 'p',
      dependencies: { editor: '1.0.0', other: '1.0.0' },
      allowScripts: { editor: true },
    })
    const result = await run(project, ['install'])
    expect(result.code).toBe(0)
    // editor is trusted: its script ran, on a copy
    expect(readFileSync(join(project.dir, 'node_modules/editor/index.js'), 'utf8')).toBe(
      `${EDITOR_INDEX}edited\n`,
    )
    expect(linkedFromCache(project, 'node_modules/editor/index.js')).toBe(false)
    expect(linkedFromCache(project, 'node_modules/editor/package.json')).toBe(false)
    // other is not reviewed: its script did not run, and its files are the cache's
    expect(result.stderr).toContain('other@1.0.0 (postinstall:')
    expect(linkedFromCache(project, 'node_modules/other/package.json')).toBe(true)

    // The cache still holds editor as published: another project with scripts off links it.
    const second = { ...scratch({ name: 'p', dependencies: { editor: '1.0.0' } }), cache: project.cache }
    const quiet = await run(second, ['install', '--ignore-scripts'])
    expect(quiet.code).toBe(0)
    expect(quiet.stderr).not.toContain('ESCRIPTSSKIPPED')
    expect(quiet.stdout).toContain('(0 downloaded)')
    expect(readFileSync(join(second.dir, 'node_modules/editor/index.js'), 'utf8')).toBe(EDITOR_INDEX)
    expect(linkedFromCache(second, 'node_modules/editor/index.js')).toBe(true)
  })

  it('scripts that a later install runs (approved since, or scripts on again) first get their package files of its own', async () => {
    for (const [first, manifest] of [
      [['install'], { name: 'p', dependencies: { editor: '1.0.0' } }],
      [
        ['install', '--ignore-scripts'],
        { name: 'p', dependencies: { editor: '1.0.0' }, allowScripts: { editor: true } },
      ],
    ] as const) {
      const project = scratch(manifest)
      expect((await run(project, [...first])).code).toBe(0)
      const index = join(project.dir, 'node_modules/editor/index.js')
      expect(readFileSync(index, 'utf8')).toBe(EDITOR_INDEX)
      expect(linkedFromCache(project, 'node_modules/editor/index.js')).toBe(true)
      const cached = statSync(index).ino

      if (!('allowScripts' in manifest)) {
        expect((await run(project, ['install-scripts', 'approve', 'editor'])).code).toBe(0)
      }
      const second = await run(project, ['install'])
      expect(second.code).toBe(0)
      expect(readFileSync(index, 'utf8')).toBe(`${EDITOR_INDEX}edited\n`)
      expect(statSync(index).ino).not.toBe(cached)
      expect(linkedFromCache(project, 'node_modules/editor/index.js')).toBe(false)

      // the cache's file is as published: a new project gets it so, from the cache
      const other = { ...scratch({ name: 'p', dependencies: { editor: '1.0.0' } }), cache: project.cache }
      const again = await run(other, ['install', '--ignore-scripts'])
      expect(again.stdout).toContain('(0 downloaded)')
      expect(readFileSync(join(other.dir, 'node_modules/editor/index.js'), 'utf8')).toBe(EDITOR_INDEX)
    }
  })
})

/**
 * A copying cloner that holds the placing of the package `slow` until started.txt is in the project
 * (a dependency's script writes it), then notes in the package whether it saw it. Without scripts
 * that start while the tree is placed, it gives up after 20 seconds and notes `no`.
 */
const holdingCloner = `import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
const pause = new Int32Array(new SharedArrayBuffer(4))
export function createCloner() {
  return {
    cloneSync(source, destDir) {
      for (const file of source.files) {
        const to = join(destDir, file.path)
        mkdirSync(dirname(to), { recursive: true })
        copyFileSync(join(source.dir, file.path), to)
        chmodSync(to, file.mode)
      }
      if (basename(destDir) !== 'slow') return
      const marker = join(destDir, '..', '..', 'started.txt')
      for (let waited = 0; waited < 20000 && !existsSync(marker); waited += 20) Atomics.wait(pause, 0, 0, 20)
      writeFileSync(join(destDir, 'saw-started.txt'), existsSync(marker) ? 'yes' : 'no')
    },
  }
}
`

/** A span of a `--trace` file. */
interface Span {
  ph: string
  cat: string
  name: string
  ts: number
  dur: number
}

describe("dependencies' scripts while the tree is placed", () => {
  /** Installs (or `args`) with the holding cloner in worker threads (the held one blocks a thread, not tote). */
  async function installHeld(project: Project, args = ['install']) {
    writeFileSync(join(project.dir, 'holding-cloner.mjs'), holdingCloner)
    const tracePath = join(project.dir, '..', 'trace.json')
    const result = await run(project, [
      ...args,
      '--cloner',
      './holding-cloner.mjs',
      '--workers',
      '2',
      '--trace',
      tracePath,
    ])
    const spans = (JSON.parse(readFileSync(tracePath, 'utf8')).traceEvents as Span[]).filter(
      (event) => event.ph === 'X',
    )
    return { result, spans }
  }

  /**
   * early's postinstall (in the scheduler's job for node_modules/early) started inside the placing:
   * slow was placed only after it had written started.txt. Returns the spans it found.
   */
  function expectEarlyWhilePlacing(project: Project, spans: Span[]) {
    expect(readFileSync(join(project.dir, 'node_modules/slow/saw-started.txt'), 'utf8')).toBe('yes')
    expect(readFileSync(join(project.dir, 'started.txt'), 'utf8')).toBe('early\n')
    const script = spans.find((span) => span.cat === 'script' && span.name === 'early@1.0.0 postinstall')
    const job = spans.find((span) => span.cat === 'scripts' && span.name === 'node_modules/early')
    const placing = spans.find((span) => span.cat === 'phase' && span.name === 'place packages')
    expect(script).toBeDefined()
    expect(job).toBeDefined()
    expect(placing).toBeDefined()
    expect(script!.ts).toBeGreaterThanOrEqual(job!.ts)
    expect(job!.ts).toBeGreaterThan(placing!.ts)
    // started before the placing ended (it may end after: slow goes on as soon as started.txt is there)
    expect(script!.ts).toBeLessThan(placing!.ts + placing!.dur)
    return { script: script! }
  }

  it("start a package's postinstall while another package is still being placed; --trace shows it inside the placing", async () => {
    const project = scratch({
      name: 'p',
      dependencies: { early: '1.0.0', slow: '1.0.0' },
      allowScripts: { early: true },
    })
    const { result, spans } = await installHeld(project)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const { script } = expectEarlyWhilePlacing(project, spans)
    const bins = spans.find((span) => span.cat === 'phase' && span.name === 'link bins')
    expect(script.ts).toBeLessThan(bins!.ts)
  })

  it("tote add starts the new dependency's approved postinstall while the tree is placed, as install does", async () => {
    const project = scratch({ name: 'p', allowScripts: { early: true } })
    const { result, spans } = await installHeld(project, ['add', 'early@1.0.0', 'slow@1.0.0'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expectEarlyWhilePlacing(project, spans)
    // and the add is saved as usual
    const manifest = JSON.parse(readFileSync(join(project.dir, 'package.json'), 'utf8'))
    expect(manifest.dependencies).toEqual({ early: '^1.0.0', slow: '^1.0.0' })
    expect(existsSync(join(project.dir, 'package-lock.json'))).toBe(true)
  })

  it("run a package's postinstall early with its dependency's bin on PATH", async () => {
    const project = scratch({
      name: 'p',
      dependencies: { 'uses-tool': '1.0.0', slow: '1.0.0' },
      allowScripts: { 'uses-tool': true },
    })
    const { result } = await installHeld(project)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(readFileSync(join(project.dir, 'node_modules/slow/saw-started.txt'), 'utf8')).toBe('yes')
    // tool's bin, linked before the script started, while slow was still being placed
    expect(readFileSync(join(project.dir, 'hello.txt'), 'utf8')).toBe('hello from-uses-tool postinstall\n')
    expect(readlinkSync(join(project.dir, 'node_modules/.bin/hello'))).toBe('../tool/hello.js')
  })
})

describe('the build cache', () => {
  it("links a trusted package's built result on a warm install instead of building again; another key builds again", async () => {
    const manifest = { name: 'p', dependencies: { counted: '1.0.0' }, allowScripts: { counted: true } }
    const first = scratch(manifest)
    expect((await run(first, ['install'])).code).toBe(0)
    expect(lines(first)).toEqual(['counted postinstall'])
    const built = readFileSync(join(first.dir, 'node_modules/counted/built.txt'), 'utf8')
    expect(built).toMatch(/^built by \d+\n$/)

    // Another project, the same cache: the built result is linked, the script does not run.
    const second = { ...scratch(manifest), cache: first.cache }
    const tracePath = join(second.dir, '..', 'trace.json')
    const warm = await run(second, ['install', '--trace', tracePath, '--verbose'])
    expect(warm.code).toBe(0)
    expect(warm.stderr).toContain('counted@1.0.0: built result linked from the build cache')
    expect(lines(second)).toEqual([])
    expect(readFileSync(join(second.dir, 'node_modules/counted/built.txt'), 'utf8')).toBe(built)
    const spans = JSON.parse(readFileSync(tracePath, 'utf8')).traceEvents.filter(
      (event: { ph: string }) => event.ph === 'X',
    )
    expect(spans.map((span: { cat: string; name: string }) => `${span.cat}: ${span.name}`)).toContain(
      'build cache: counted@1.0.0',
    )
    // tote ci empties node_modules: the built result comes back from the cache again.
    expect((await run(second, ['ci'])).code).toBe(0)
    expect(lines(second)).toEqual([])
    expect(readFileSync(join(second.dir, 'node_modules/counted/built.txt'), 'utf8')).toBe(built)

    // Not approved any more: nothing is linked nor run (the unbuilt package, named in the summary).
    const unapproved = { ...scratch({ name: 'p', dependencies: { counted: '1.0.0' } }), cache: first.cache }
    const skipped = await run(unapproved, ['install'])
    expect(skipped.stderr).toContain('counted@1.0.0 (postinstall:')
    expect(existsSync(join(unapproved.dir, 'node_modules/counted/built.txt'))).toBe(false)

    // The same name and version with other contents (another integrity: another key) builds again.
    const other = await createTestRegistry({
      packages: {
        counted: {
          versions: { '1.0.0': { scripts: { postinstall: countedBuild }, files: { 'extra.js': '' } } },
        },
      },
    })
    try {
      const third = { ...scratch(manifest), cache: first.cache }
      const rebuilt = await tote(['install'], {
        cwd: third.dir,
        home: third.home,
        cache: third.cache,
        registry: other.url,
      })
      expect(rebuilt.code).toBe(0)
      expect(lines(third)).toEqual(['counted postinstall'])
      expect(readFileSync(join(third.dir, 'node_modules/counted/built.txt'), 'utf8')).not.toBe(built)
    } finally {
      await other.close()
    }
  })
})

describe('tote run', () => {
  const scripts = {
    prebuild: 'echo "pre $npm_lifecycle_event"',
    build: 'echo "build $npm_command"',
    postbuild: 'echo post',
    fail: 'exit 3',
    test: 'echo testing',
    posttest: 'echo tested',
    args: 'printf "[%s]"',
  }

  it("runs pre<name>, <name>, post<name>, passes arguments after --, and exits with the script's code", async () => {
    const project = scratch({ name: 'r', version: '1.0.0', scripts })
    const built = await run(project, ['run', 'build'])
    expect(built.code).toBe(0)
    expect(built.stdout).toBe(
      '\n> r@1.0.0 prebuild\n> echo "pre $npm_lifecycle_event"\n\npre prebuild\n\n> r@1.0.0 build\n> echo "build $npm_command"\n\nbuild run\n\n> r@1.0.0 postbuild\n> echo post\n\npost\n',
    )
    const args = await run(project, ['run-script', 'args', '--', '--flag', 'a b', '$HOME'])
    expect(args.stdout).toContain('[--flag][a b][$HOME]')
    expect((await run(project, ['run', 'fail'])).code).toBe(3)
    const test = await run(project, ['test', '--silent'])
    expect(test.stdout).toBe('testing\ntested\n')
    const alone = await run(project, ['run', 'build', '--ignore-scripts', '--silent'])
    expect(alone.stdout).toBe('build run\n')
  })

  it('exports npm_command as npm 11 does for the same command (run for run and run-script, test for test and t)', async () => {
    // recorded from npm 11.19.1: `npm <command>` with each script printing $npm_command
    const npm11: [string[], string][] = [
      [['run', 'show'], 'run'],
      [['run-script', 'show'], 'run'],
      [['run', 'test'], 'run'],
      [['test'], 'test'],
      [['t'], 'test'],
      [['start'], 'start'],
      [['stop'], 'stop'],
      [['restart'], 'restart'],
    ]
    const show = 'echo "npm_command=$npm_command"'
    const project = scratch({
      name: 'r',
      version: '1.0.0',
      scripts: { show, test: show, start: show, stop: show, restart: show },
    })
    for (const [args, expected] of npm11) {
      const result = await run(project, [...args, '--silent'])
      expect(result.code, args.join(' ')).toBe(0)
      expect(result.stdout, args.join(' ')).toBe(`npm_command=${expected}\n`)
    }
  })

  it('lists the scripts, and names the closest one for an unknown name', async () => {
    const project = scratch({ name: 'r', version: '1.0.0', scripts })
    const list = await run(project, ['run'])
    expect(list.stdout).toBe(
      [
        'Lifecycle scripts included in r@1.0.0:',
        '  test',
        '    echo testing',
        '  posttest',
        '    echo tested',
        'available via `tote run`:',
        '  prebuild',
        '    echo "pre $npm_lifecycle_event"',
        '  build',
        '    echo "build $npm_command"',
        '  postbuild',
        '    echo post',
        '  fail',
        '    exit 3',
        '  args',
        '    printf "[%s]"',
        '',
      ].join('\n'),
    )
    const typo = await run(project, ['run', 'biuld'])
    expect(typo.code).toBe(1)
    expect(typo.stderr).toContain('tote error EMISSINGSCRIPT: Missing script: "biuld". Did you mean "build"?')
    expect((await run(project, ['run', 'nothing-like-it', '--if-present'])).code).toBe(0)
    expect((await run(project, ['start'])).stderr).toContain('Missing script: "start"')
  })

  it('restart runs stop then start when there is no restart script', async () => {
    const project = scratch({
      name: 'r',
      version: '1.0.0',
      scripts: { start: 'echo started', prerestart: 'echo pre' },
    })
    const result = await run(project, ['restart', '--silent'])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('pre\nstarted\n')
  })
})

describe('tote run and signals', () => {
  async function until(path: string) {
    for (let i = 0; i < 1000 && !existsSync(path); i++)
      await new Promise((resolve) => setTimeout(resolve, 10))
  }

  it("passes Ctrl-C (SIGINT) and SIGTERM on to the script; its exit code, or its signal, is tote's", async () => {
    const project = scratch({
      name: 'r',
      scripts: {
        trapping: `trap 'echo interrupted > int.txt; exit 7' INT; touch ready; while true; do sleep 0.05; done`,
        sleeping: 'touch ready2; exec sleep 30',
      },
    })
    const options = { cwd: project.dir, home: project.home, cache: project.cache, registry: registry.url }
    const trapping = startTote(['run', 'trapping'], options)
    await until(join(project.dir, 'ready'))
    process.kill(trapping.pid, 'SIGINT')
    const ended = await trapping.exited
    expect(readFileSync(join(project.dir, 'int.txt'), 'utf8')).toBe('interrupted\n')
    expect(ended.code).toBe(7)

    const sleeping = startTote(['run', 'sleeping'], options)
    await until(join(project.dir, 'ready2'))
    process.kill(sleeping.pid, 'SIGTERM')
    expect((await sleeping.exited).signal).toBe('SIGTERM')
  })
})

describe('tote exec', () => {
  it("runs a bin of the project's dependencies, in the current folder, with its arguments", async () => {
    const project = scratch({ name: 'e', dependencies: { tool: '1.0.0' } })
    expect((await run(project, ['install'])).code).toBe(0)
    const result = await run(project, ['exec', 'hello', '--', '--loud', 'a b'])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('hello --loud a b npx\n')
    // Everything after the bin is the bin's, flags included, as npx takes them.
    const flags = await run(project, ['exec', 'hello', '--version', '-h'])
    expect(flags.stdout).toBe('hello --version -h npx\n')
    const call = await run(project, ['exec', '-c', 'hello x; exit 5'])
    expect(call.stdout).toBe('hello x npx\n')
    expect(call.code).toBe(5)
    const missing = await run(project, ['exec', 'helo'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('tote error ENOBIN: No bin named "helo"')
    expect(missing.stderr).toContain('Did you mean "hello"?')
  })
})

/** The Node installation's prefix when it has its C headers (node-gyp builds against them offline). */
function nodeHeaders(): string | undefined {
  const prefix = dirname(dirname(process.execPath))
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined
}

function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const canCompile =
  nodeHeaders() !== undefined &&
  ['cc', 'make', 'python3'].every(hasCommand) &&
  existsSync(
    join(dirname(dirname(process.execPath)), 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp'),
  )

describe('tote x', () => {
  it('fetches a package into the cache and runs its bin here, with its arguments; the second time offline', async () => {
    const project = scratch({ name: 'e' })
    const result = await run(project, ['x', 'tool', '--loud', 'a b'])
    expect(result.stderr).toBe('')
    expect(result.stdout).toBe('hello --loud a b npx\n')
    expect(result.code).toBe(0)
    expect(existsSync(join(project.dir, 'node_modules'))).toBe(false) // the project is left alone
    const again = await run(project, ['x', '--offline', 'tool', 'again'])
    expect(again.stdout).toBe('hello again npx\n')
    const missing = await run(project, ['x', 'plain'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('tote error ENOBIN: plain has no bin')
  })

  it('skips and names its install scripts unless --allow-scripts approves them', async () => {
    const project = scratch({ name: 'e' })
    const skipped = await run(project, ['x', 'xtool', 'one'])
    expect(skipped.code).toBe(0)
    expect(skipped.stdout).toBe(`not built ${project.dir} one\n`)
    expect(skipped.stderr).toContain('xtool@1.0.0 (postinstall: echo yes > built.txt)')
    expect(skipped.stderr).toContain('`tote x --allow-scripts xtool xtool`')
    const allowed = await run(project, ['x', '--allow-scripts', 'xtool', 'xtool', 'two'])
    expect(allowed.stderr).toBe('')
    expect(allowed.stdout).toBe(`built ${project.dir} two\n`)
  })
})

describe('an addon with a binding.gyp', () => {
  it.skipIf(!canCompile)(
    "is compiled by npm's implicit `node-gyp rebuild`, with npm's node-gyp",
    async () => {
      const project = scratch({ name: 'g', dependencies: { addon: '1.0.0' }, allowScripts: { addon: true } })
      // no network: node-gyp builds against this Node's own headers
      writeFileSync(join(project.dir, '.npmrc'), `nodedir=${nodeHeaders()}\n`)
      const result = await run(project, ['install'])
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      const answer = execFileSync(process.execPath, ['-p', "require('addon').answer"], {
        cwd: project.dir,
        encoding: 'utf8',
      })
      expect(answer.trim()).toBe('42')
      expect(readdirSync(join(project.dir, 'node_modules', 'addon', 'build', 'Release'))).toContain(
        'addon.node',
      )
    },
    120_000,
  )

  it('is named as skipped (install: node-gyp rebuild) until approved', async () => {
    const project = scratch({ name: 'g', dependencies: { addon: '1.0.0' } })
    const result = await run(project, ['install'])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('  addon@1.0.0 (install: node-gyp rebuild)')
  })
})
