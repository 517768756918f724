import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  createScriptRunner,
  findNodeGyp,
  NODE_GYP_REBUILD,
  quoteSh,
  type ScriptEvent,
  scriptBaseEnv,
  scriptFor,
  writeNodeGypShim,
} from '../src/index.js'

function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'tote-scripts-'))
  const dir = join(root, 'app')
  mkdirSync(join(dir, 'node_modules', 'dep'), { recursive: true })
  return dir
}

/** The environment a script printed (`env -0`: values may hold new lines). */
function readEnv(file: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const entry of readFileSync(file, 'utf8').split('\0')) {
    const cut = entry.indexOf('=')
    if (cut > 0) env[entry.slice(0, cut)] = entry.slice(cut + 1)
  }
  return env
}

const baseEnv = scriptBaseEnv({
  processEnv: { PATH: process.env.PATH, HOME: '/home/someone', npm_config_foo: 'from-process' },
  configEnv: { npm_config_registry: 'http://127.0.0.1:1/', INIT_CWD: '/where/tote/started' },
  execPath: '/opt/tote/bin/tote.js',
  nodeExecPath: process.execPath,
  userAgent: 'tote/0.1.0 node/v20.0.0 linux x64 workspaces/false',
  command: 'install',
  nodeGyp: '/opt/npm/node_modules/node-gyp/bin/node-gyp.js',
})

describe('createScriptRunner', () => {
  it("runs a script in the package folder with npm's environment and PATH", async () => {
    const dir = project()
    const dep = join(dir, 'node_modules', 'dep')
    const gypDir = writeNodeGypShim(join(dir, '..', 'gyp-bin'))
    const events: ScriptEvent[] = []
    const run = createScriptRunner({ env: baseEnv, nodeGypBinDir: gypDir, onEvent: (e) => events.push(e) })
    const manifest = {
      name: 'dep',
      version: '1.2.3',
      config: { port: 8080, nested: { a: 'b' } },
      engines: { node: '>=18' },
      bin: { depcli: 'cli.js' },
      scripts: { postinstall: `env -0 > "${join(dir, 'env.txt')}"; pwd > "${join(dir, 'pwd.txt')}"` },
    }
    const result = await run({
      dir: dep,
      manifest,
      event: 'postinstall',
      env: { npm_package_resolved: 'http://127.0.0.1:1/dep/-/dep-1.2.3.tgz', npm_package_name: 'not-this' },
    })
    expect(result).toMatchObject({
      event: 'postinstall',
      code: 0,
      signal: null,
      script: manifest.scripts.postinstall,
    })
    expect(readFileSync(join(dir, 'pwd.txt'), 'utf8').trim()).toBe(dep)
    const env = readEnv(join(dir, 'env.txt'))
    expect(env).toMatchObject({
      npm_lifecycle_event: 'postinstall',
      npm_lifecycle_script: manifest.scripts.postinstall,
      npm_package_json: join(dep, 'package.json'),
      npm_package_name: 'dep',
      npm_package_version: '1.2.3',
      npm_package_config_port: '8080',
      npm_package_config_nested_a: 'b',
      npm_package_engines_node: '>=18',
      npm_package_bin_depcli: 'cli.js',
      npm_package_resolved: 'http://127.0.0.1:1/dep/-/dep-1.2.3.tgz',
      npm_config_registry: 'http://127.0.0.1:1/',
      npm_config_foo: 'from-process',
      npm_config_user_agent: 'tote/0.1.0 node/v20.0.0 linux x64 workspaces/false',
      npm_config_node_gyp: '/opt/npm/node_modules/node-gyp/bin/node-gyp.js',
      npm_execpath: '/opt/tote/bin/tote.js',
      npm_node_execpath: process.execPath,
      NODE: process.execPath,
      npm_command: 'install',
      INIT_CWD: '/where/tote/started',
      HOME: '/home/someone',
    })
    // Every node_modules/.bin from the package up to the root, then node-gyp's, then the old PATH.
    const path = env.PATH!.split(delimiter)
    const ups: string[] = []
    for (let at = dep; ; at = join(at, '..')) {
      ups.push(join(at, 'node_modules', '.bin'))
      if (join(at, '..') === at) break
    }
    expect(path.slice(0, ups.length)).toEqual(ups)
    expect(path[ups.length]).toBe(gypDir)
    expect(path.slice(ups.length + 1)).toEqual(
      process.env.PATH!.split(delimiter).filter((p, i, all) => all.indexOf(p) === i),
    )
    expect(events.map((e) => e.type)).toEqual(['script-start', 'script-end'])
  })

  it('quotes arguments for sh as npm does, and reports the exit code and the tail of the output', async () => {
    const dir = project()
    const run = createScriptRunner({ env: baseEnv, tailLines: 2 })
    const logFile = join(dir, 'logs', 'x.log')
    const result = await run({
      dir,
      manifest: { name: 'app', scripts: { build: 'printf "%s\\n" one two; echo oops >&2; exit 3' } },
      event: 'build',
      logFile,
    })
    expect(result.code).toBe(3)
    expect(result.signal).toBeNull()
    expect(result.tail).toBe('two\noops')
    expect(readFileSync(logFile, 'utf8')).toBe('one\ntwo\noops\n')
    // Arguments go at the end of the command line, each quoted where sh would read it otherwise.
    const echoed = await run({
      dir,
      manifest: { name: 'app', scripts: { echo: 'printf "[%s]\\n"' } },
      event: 'echo',
      args: ['a b', '$HOME', "it's", '--flag'],
      logFile,
    })
    expect(echoed.code).toBe(0)
    expect(readFileSync(logFile, 'utf8')).toBe("[a b]\n[$HOME]\n[it's]\n[--flag]\n")
    expect(quoteSh('plain')).toBe('plain')
    expect(quoteSh('')).toBe(`''`)
    expect(quoteSh("it's")).toBe(`'it'\\''s'`)
  })

  it('reports the signal that ended a script, and stops it when aborted', async () => {
    const dir = project()
    const run = createScriptRunner({ env: baseEnv })
    const killed = await run({ dir, manifest: { scripts: { t: 'kill -USR2 $$' } }, event: 't' })
    expect(killed).toMatchObject({ code: null, signal: 'SIGUSR2' })
    const controller = new AbortController()
    const started = run({
      dir,
      manifest: { scripts: { t: `touch "${join(dir, 'started')}"; exec sleep 30` } },
      event: 't',
      signal: controller.signal,
    })
    for (let i = 0; i < 500; i++) {
      try {
        readFileSync(join(dir, 'started'))
        break
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    }
    controller.abort()
    expect(await started).toMatchObject({ signal: 'SIGTERM' })
  })

  it('runs nothing for an event the package has no script for', async () => {
    const dir = project()
    const run = createScriptRunner({ env: baseEnv })
    expect(await run({ dir, manifest: { scripts: {} }, event: 'postinstall' })).toMatchObject({
      script: undefined,
      code: 0,
    })
  })

  it('fails with ESCRIPTSHELL when the script shell cannot start', async () => {
    const dir = project()
    const run = createScriptRunner({ env: baseEnv, shell: join(dir, 'no-such-shell') })
    await expect(run({ dir, manifest: { scripts: { t: 'true' } }, event: 't' })).rejects.toMatchObject({
      code: 'ESCRIPTSHELL',
    })
  })
})

describe('scriptFor', () => {
  it("gives npm's implicit node-gyp rebuild and node server.js", () => {
    const dir = project()
    expect(scriptFor(dir, {}, 'install')).toBeUndefined()
    writeFileSync(join(dir, 'binding.gyp'), '{}')
    expect(scriptFor(dir, {}, 'install')).toBe(NODE_GYP_REBUILD)
    expect(scriptFor(dir, { gypfile: false }, 'install')).toBeUndefined()
    expect(scriptFor(dir, { scripts: { preinstall: 'x' } }, 'install')).toBeUndefined()
    expect(scriptFor(dir, { scripts: { install: 'own' } }, 'install')).toBe('own')
    expect(scriptFor(dir, {}, 'start')).toBeUndefined()
    writeFileSync(join(dir, 'server.js'), '')
    expect(scriptFor(dir, {}, 'start')).toBe('node server.js')
  })
})

describe('node-gyp', () => {
  it('uses the node-gyp setting first, then the npm that came with Node', () => {
    const root = mkdtempSync(join(tmpdir(), 'tote-gyp-'))
    const node = join(root, 'bin', 'node')
    const bundled = join(root, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
    expect(findNodeGyp({ execPath: node, env: {} })).toBeUndefined()
    mkdirSync(join(bundled, '..'), { recursive: true })
    writeFileSync(bundled, '')
    expect(findNodeGyp({ execPath: node, env: {} })).toBe(bundled)
    expect(findNodeGyp({ configured: '/custom/node-gyp.js', execPath: node, env: {} })).toBe(
      '/custom/node-gyp.js',
    )
  })

  it('writes a shim that runs $npm_config_node_gyp with Node, and says so when there is none', async () => {
    const dir = project()
    const gypDir = writeNodeGypShim(join(dir, 'gyp'))
    const fake = join(dir, 'fake-gyp.js')
    writeFileSync(
      fake,
      `require('fs').writeFileSync(${JSON.stringify(join(dir, 'args.json'))}, JSON.stringify(process.argv.slice(2)))`,
    )
    const run = createScriptRunner({ env: { ...baseEnv, npm_config_node_gyp: fake }, nodeGypBinDir: gypDir })
    writeFileSync(join(dir, 'binding.gyp'), '{}')
    const result = await run({ dir, manifest: { name: 'addon' }, event: 'install' })
    expect(result).toMatchObject({ code: 0, script: 'node-gyp rebuild' })
    expect(JSON.parse(readFileSync(join(dir, 'args.json'), 'utf8'))).toEqual(['rebuild'])
    const none = createScriptRunner({ env: { ...baseEnv, npm_config_node_gyp: '' }, nodeGypBinDir: gypDir })
    const missing = await none({ dir, manifest: { name: 'addon' }, event: 'install' })
    expect(missing.code).toBe(127)
    expect(missing.tail).toMatch(/node-gyp was not found/)
  })
})
