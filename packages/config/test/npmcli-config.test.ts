// @npmcli/config is pinned to one exact version because src/_npm.ts uses more than its public face:
// it subclasses the loader and overrides three of its methods, reads its layer map and the prototype
// chain between layers, and imports lib/definitions and lib/nerf-dart.js by path. Each test here holds
// one of those facts against the installed package, so that an upgrade that changes one fails here,
// by name, rather than somewhere in tote's configuration.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

const require = createRequire(import.meta.url)
const ours = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const npmcliDir = dirname(require.resolve('@npmcli/config/package.json'))
const npmcli = JSON.parse(readFileSync(join(npmcliDir, 'package.json'), 'utf8'))

interface Layer {
  data: Record<string, unknown>
  source: string | null
  loadError?: (Error & { code?: string }) | undefined
}
interface Loader {
  home: string | null
  env: NodeJS.ProcessEnv
  localPrefix: string
  data: Map<string, Layer>
  load(): Promise<void>
  get(key: string): unknown
  find(key: string): string | null
  loadBuiltinConfig(): Promise<void>
  loadHome(): void
  setEnvs(): void
}
type LoaderClass = new (options: Record<string, unknown>) => Loader

const Config = require('@npmcli/config') as LoaderClass
const definitionsModule = require('@npmcli/config/lib/definitions/index.js') as {
  definitions: Record<string, unknown>
  shorthands: Record<string, unknown>
  flatten: unknown
  nerfDarts: string[]
}
const nerfDart = require('@npmcli/config/lib/nerf-dart.js') as (url: string) => string

const made: string[] = []
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function machine() {
  const root = mkdtempSync(join(tmpdir(), 'tote-npmcli-'))
  made.push(root)
  const home = join(root, 'home')
  const prefix = join(root, 'prefix')
  const project = join(root, 'project')
  for (const dir of [home, join(prefix, 'etc'), project]) mkdirSync(dir, { recursive: true })
  writeFileSync(join(project, 'package.json'), '{"name":"app"}\n')
  return { home, prefix, project }
}

describe('@npmcli/config, as tote uses it', () => {
  it('is pinned exactly, and the installed copy is that version', () => {
    const spec = ours.dependencies['@npmcli/config']
    expect(spec).toMatch(/^\d+\.\d+\.\d+$/)
    expect(npmcli.version).toBe(spec)
  })

  it('exports definitions, shorthands, flatten and nerfDarts from lib/definitions/index.js', () => {
    expect(typeof definitionsModule.flatten).toBe('function')
    expect(Object.keys(definitionsModule.shorthands).length).toBeGreaterThan(0)
    expect(definitionsModule.nerfDarts).toEqual(
      expect.arrayContaining(['_auth', '_authToken', '_password', 'username', 'certfile', 'keyfile']),
    )
    // Every key src/_load.ts and its helpers read is one of npm's definitions.
    const keys = [
      'registry',
      'strict-ssl',
      'ca',
      'cafile',
      'proxy',
      'https-proxy',
      'noproxy',
      'omit',
      'include',
      'production',
      'only',
      'also',
      'dev',
      'optional',
      'legacy-peer-deps',
      'force',
      'strict-peer-deps',
      'ignore-scripts',
      'offline',
      'prefer-offline',
      'prefer-online',
      'omit-lockfile-registry-resolved',
      'fetch-retries',
      'fetch-retry-factor',
      'fetch-retry-mintimeout',
      'fetch-retry-maxtimeout',
      'fetch-timeout',
      'maxsockets',
      'user-agent',
      'userconfig',
      'globalconfig',
    ]
    expect(keys.filter((key) => !(key in definitionsModule.definitions))).toEqual([])
  })

  it('nerf-darts a URL as npm-registry-fetch does: //host[:port]/path/, no credentials, query or last segment', () => {
    expect(nerfDart('https://user:pass@host.test:8080/a/b/c?x=1#h')).toBe('//host.test:8080/a/b/')
    expect(nerfDart('http://127.0.0.1:4873/acme/@acme%2fwidget')).toBe('//127.0.0.1:4873/acme/')
  })

  it('calls the overridable loadBuiltinConfig, loadHome and setEnvs from load(), with the options tote passes', async () => {
    const { home, prefix, project } = machine()
    const called: string[] = []
    class Probe extends Config {
      override loadBuiltinConfig() {
        called.push('loadBuiltinConfig')
        return Promise.resolve()
      }
      override loadHome() {
        called.push('loadHome')
        this.home = home
      }
      override setEnvs() {
        called.push('setEnvs')
      }
    }
    writeFileSync(join(home, '.npmrc'), 'fetch-retries=7\n')
    const env: NodeJS.ProcessEnv = { PREFIX: prefix }
    const config = new Probe({
      ...definitionsModule,
      npmPath: join(prefix, 'no-npm'),
      env,
      argv: ['node', 'tote', '--ignore-scripts'],
      cwd: project,
      execPath: process.execPath,
      platform: process.platform,
      warn: false,
    })
    await config.load()
    expect([...called].sort()).toEqual(['loadBuiltinConfig', 'loadHome', 'setEnvs'])
    // The overridden loadHome decides where ~/.npmrc is.
    expect(config.get('fetch-retries')).toBe(7)
    expect(config.find('fetch-retries')).toBe('user')
    // The overridden setEnvs leaves the environment alone (npm's own writes npm_config_* into it).
    expect(Object.keys(env)).toEqual(['PREFIX'])
    expect(config.localPrefix).toBe(project)
  })

  it('keeps one layer per source in `data`, highest last, chained by prototype, with file sources and load errors', async () => {
    const { home, prefix, project } = machine()
    writeFileSync(join(prefix, 'etc', 'npmrc'), 'fetch-timeout=1000\n')
    writeFileSync(join(project, '.npmrc'), 'fetch-retry-factor=3\n')
    const config = new Config({
      ...definitionsModule,
      npmPath: join(prefix, 'no-npm'),
      env: { PREFIX: prefix, HOME: home, npm_config_fetch_retries: '4' },
      argv: ['node', 'tote', '--offline', '--fetch-retries=notanumber'],
      cwd: project,
      execPath: process.execPath,
      platform: process.platform,
      warn: false,
    })
    await config.load()
    expect([...config.data.keys()]).toEqual(['default', 'builtin', 'global', 'user', 'project', 'env', 'cli'])
    for (const layer of config.data.values()) {
      expect(layer).toHaveProperty('data')
      expect(layer).toHaveProperty('source')
    }
    expect(config.data.get('global')!.source).toBe(join(prefix, 'etc', 'npmrc'))
    expect(config.data.get('project')!.source).toBe(join(project, '.npmrc'))
    expect(config.data.get('user')!.source).toBe(join(home, '.npmrc'))
    expect(config.data.get('user')!.loadError?.code).toBe('ENOENT')
    expect(config.find('fetch-timeout')).toBe('global')
    expect(config.find('fetch-retry-factor')).toBe('project')
    expect(config.find('fetch-retries')).toBe('env')
    expect(config.find('offline')).toBe('cli')
    expect(config.find('no-such-key')).toBe(null)
    // A flag value of the wrong type is dropped from the cli layer (tote then refuses it).
    expect(Object.hasOwn(config.data.get('cli')!.data, 'fetch-retries')).toBe(false)
    // for…in over the cli layer's data sees every layer's keys: src/_npm.ts lists keys that way.
    const seen: string[] = []
    for (const key in config.data.get('cli')!.data) seen.push(key)
    expect(seen).toEqual(
      expect.arrayContaining(['offline', 'fetch-retries', 'fetch-retry-factor', 'fetch-timeout']),
    )
    expect(seen).toContain('registry') // from the defaults layer
  })
})
