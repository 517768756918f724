import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type BuildPackage, buildPackages, createScriptRunner, installScriptsOf } from '../src/index.js'

function setup() {
  const root = mkdtempSync(join(tmpdir(), 'tote-build-'))
  const journal = join(root, 'journal.txt')
  const pkg = (
    name: string,
    after: string[],
    scripts: Record<string, string>,
    optional = false,
  ): BuildPackage => {
    const dir = join(root, 'node_modules', name)
    mkdirSync(dir, { recursive: true })
    return {
      path: `node_modules/${name}`,
      dir,
      manifest: { name, version: '1.0.0', scripts },
      scripts: Object.entries(scripts).map(([event, script]) => ({ event, script })),
      optional,
      after: after.map((n) => `node_modules/${n}`),
      label: `${name}@1.0.0`,
    }
  }
  // Each script writes "start <name> <event>", waits a little for others to overlap, then "end …".
  const step = (name: string, event: string) =>
    `echo "start ${name} ${event}" >> "${journal}"; sleep 0.05; echo "end ${name} ${event}" >> "${journal}"`
  const lines = () => readFileSync(journal, 'utf8').trim().split('\n')
  return { root, journal, pkg, step, lines }
}

describe('buildPackages', () => {
  it("never starts a package's scripts before its dependencies' scripts end, and runs each package's events in order", async () => {
    const { root, pkg, step, lines } = setup()
    const packages = [
      pkg('app-a', ['mid'], {
        preinstall: step('app-a', 'preinstall'),
        postinstall: step('app-a', 'postinstall'),
      }),
      pkg('app-b', ['mid', 'leaf'], { install: step('app-b', 'install') }),
      pkg('mid', ['leaf'], { install: step('mid', 'install'), postinstall: step('mid', 'postinstall') }),
      pkg('leaf', [], { preinstall: step('leaf', 'preinstall'), postinstall: step('leaf', 'postinstall') }),
      pkg('lone', [], { postinstall: step('lone', 'postinstall') }),
    ]
    const built: string[] = []
    const result = await buildPackages(packages, {
      run: createScriptRunner({ env: { PATH: process.env.PATH } }),
      concurrency: 4,
      stdio: 'pipe',
      logDir: join(root, 'logs'),
      onBuilt: (path) => built.push(path),
    })
    expect(result.failedOptional).toEqual([])
    expect(new Set(result.built)).toEqual(new Set(packages.map((p) => p.path)))
    expect(new Set(built)).toEqual(new Set(result.built))
    const journal = lines()
    const index = (line: string) => journal.indexOf(line)
    for (const line of journal) expect(index(line)).toBeGreaterThanOrEqual(0)
    // dependencies' last script ends before the dependent's first one starts
    expect(index('end leaf postinstall')).toBeLessThan(index('start mid install'))
    expect(index('end mid postinstall')).toBeLessThan(index('start app-a preinstall'))
    expect(index('end mid postinstall')).toBeLessThan(index('start app-b install'))
    // a package's own events in npm's order
    expect(index('end leaf preinstall')).toBeLessThan(index('start leaf postinstall'))
    expect(index('end app-a preinstall')).toBeLessThan(index('start app-a postinstall'))
    expect(journal).toHaveLength(2 * 8)
    expect(readFileSync(join(root, 'logs', 'lone@1.0.0-postinstall.log'), 'utf8')).toBe('')
  })

  it('fails with ESCRIPTFAILED for a required package (package, script, exit code, log) and starts nothing after it', async () => {
    const { root, pkg, step, lines } = setup()
    const packages = [
      pkg('bad', [], { postinstall: 'echo compiling; echo "no compiler" >&2; exit 7' }),
      pkg('user', ['bad'], { postinstall: step('user', 'postinstall') }),
      pkg('other', [], { postinstall: step('other', 'postinstall') }),
    ]
    const logDir = join(root, 'logs')
    const failure = await buildPackages(packages, {
      run: createScriptRunner({ env: { PATH: process.env.PATH } }),
      concurrency: 1,
      stdio: 'pipe',
      logDir,
    }).catch((error: unknown) => error)
    expect(failure).toMatchObject({
      code: 'ESCRIPTFAILED',
      details: {
        package: 'bad@1.0.0',
        event: 'postinstall',
        code: 7,
        logFile: join(logDir, 'bad@1.0.0-postinstall.log'),
      },
    })
    expect((failure as Error).message).toContain('bad@1.0.0 postinstall script failed (exit code 7)')
    expect((failure as Error).message).toContain('  | no compiler')
    expect(readFileSync(join(logDir, 'bad@1.0.0-postinstall.log'), 'utf8')).toBe('compiling\nno compiler\n')
    expect(() => lines()).toThrow() // neither user nor other ran: nothing new starts after a failure
  })

  it("reports an optional package's failure and goes on with the rest", async () => {
    const { root, pkg, step, lines } = setup()
    const packages = [
      pkg('opt', [], { install: 'exit 1', postinstall: step('opt', 'postinstall') }, true),
      pkg('user', ['opt'], { postinstall: step('user', 'postinstall') }),
    ]
    const result = await buildPackages(packages, {
      run: createScriptRunner({ env: { PATH: process.env.PATH } }),
      concurrency: 2,
      stdio: 'pipe',
      logDir: join(root, 'logs'),
    })
    expect(result.built).toEqual(['node_modules/user'])
    expect(result.failedOptional).toMatchObject([
      { path: 'node_modules/opt', result: { event: 'install', code: 1 } },
    ])
    expect(lines()).toEqual(['start user postinstall', 'end user postinstall'])
  })
})

describe('installScriptsOf', () => {
  it("lists npm's install scripts: prepare only for non-registry packages, node-gyp for a binding.gyp", () => {
    const { root } = setup()
    const dir = join(root, 'addon')
    mkdirSync(dir)
    const scripts = { postinstall: 'p', prepare: 'q', test: 't' }
    expect(installScriptsOf(dir, { scripts }, { registry: true })).toEqual({ postinstall: 'p' })
    expect(installScriptsOf(dir, { scripts }, { registry: false })).toEqual({
      postinstall: 'p',
      prepare: 'q',
    })
    mkdirSync(join(dir, 'src'))
    writeFileSync(join(dir, 'binding.gyp'), '{}')
    expect(Object.entries(installScriptsOf(dir, { scripts }, { registry: true }))).toEqual([
      ['postinstall', 'p'],
      ['install', 'node-gyp rebuild'],
    ])
    expect(installScriptsOf(dir, { scripts, gypfile: false }, { registry: true })).toEqual({
      postinstall: 'p',
    })
  })
})
