import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/index.js'
import { makeMachine } from './_fixture.js'

const require = createRequire(import.meta.url)
const npmDefaults = (require('@npmcli/config/lib/definitions') as { defaults: Record<string, unknown> })
  .defaults

describe('layers', () => {
  it("starts from npm's defaults when no file, variable or flag sets anything", async () => {
    const m = makeMachine()
    const config = await m.load()
    expect(config.registry).toBe(npmDefaults.registry)
    expect(config.registry.endsWith('/')).toBe(true)
    expect(config.fetchRetries).toBe(npmDefaults['fetch-retries'])
    expect(config.fetchTimeout).toBe(npmDefaults['fetch-timeout'])
    expect(config.maxSockets).toBe(npmDefaults.maxsockets)
    expect(config.maxSocketsSet).toBe(false)
    expect(config.strictSSL).toBe(true)
    expect(config.ignoreScripts).toBe(false)
    expect(config.legacyPeerDeps).toBe(false)
    expect(config.omit).toEqual([])
    expect(config.scopedRegistries).toEqual({})
    expect(config.ca).toBeUndefined()
    expect(config.userAgent).toBeUndefined()
  })

  it('applies global < user < project < environment < flags', async () => {
    const m = makeMachine()
    m.globalRc('registry=http://global.test/\nfetch-retries=1\nmaxsockets=3\nfetch-retry-factor=Infinity\n')
    m.userRc('registry=http://user.test/\nfetch-retries=2\n')
    m.projectRc('registry=http://project.test/\nfetch-retries=3\nfetch-timeout=4\n')

    const files = await m.load()
    expect(files.registry).toBe('http://project.test/')
    expect(files.fetchRetries).toBe(3)
    expect(files.fetchTimeout).toBe(4)
    expect(files.maxSockets).toBe(3)
    expect(files.fetchRetryFactor).toBe(Number.POSITIVE_INFINITY)

    const withEnv = await m.load({ env: { npm_config_registry: 'http://env.test/' } })
    expect(withEnv.registry).toBe('http://env.test/')

    const withFlag = await m.load({
      env: { npm_config_registry: 'http://env.test/' },
      flags: { registry: 'http://flag.test', 'fetch-retries': '9' },
    })
    expect(withFlag.registry).toBe('http://flag.test/')
    expect(withFlag.fetchRetries).toBe(9)
    expect(withFlag.get('fetch-timeout')).toBe(4)
  })

  it('lists the files it looked at, highest precedence first', async () => {
    const m = makeMachine()
    const user = m.userRc('fetch-retries=5\n')
    const config = await m.load()
    expect(config.sources).toEqual([
      { layer: 'project', path: join(m.project, '.npmrc'), found: false },
      { layer: 'user', path: user, found: true },
      { layer: 'global', path: join(m.prefix, 'etc', 'npmrc'), found: false },
    ])
  })

  it('reads npm_config_* case-insensitively with _ as -', async () => {
    const m = makeMachine()
    const config = await m.load({
      env: {
        NPM_CONFIG_FETCH_RETRIES: '7',
        npm_config_legacy_peer_deps: 'true',
        Npm_Config_Ignore_Scripts: 'true',
        'npm_config_@acme:registry': 'http://acme.test/npm',
        npm_config_offline: '',
      },
    })
    expect(config.fetchRetries).toBe(7)
    expect(config.legacyPeerDeps).toBe(true)
    expect(config.ignoreScripts).toBe(true)
    expect(config.scopedRegistries).toEqual({ '@acme': 'http://acme.test/npm/' })
    // an empty variable is ignored, as npm does
    expect(config.offline).toBe(false)
  })

  it('takes the user config from npm_config_userconfig and the global one from npm_config_globalconfig', async () => {
    const m = makeMachine()
    m.userRc('registry=http://home.test/\n')
    m.globalRc('fetch-retries=1\n')
    const otherUser = m.write(join(m.root, 'other', 'userrc'), 'registry=http://other-user.test/\n')
    const otherGlobal = m.write(join(m.root, 'other', 'globalrc'), 'fetch-retries=8\n')
    const config = await m.load({
      env: { npm_config_userconfig: otherUser, npm_config_globalconfig: otherGlobal },
    })
    expect(config.registry).toBe('http://other-user.test/')
    expect(config.fetchRetries).toBe(8)
    expect(config.sources.map((s) => s.path)).toEqual([join(m.project, '.npmrc'), otherUser, otherGlobal])
  })

  it('finds the global npmrc under $PREFIX/etc, or under a prefix set in the user config', async () => {
    const m = makeMachine()
    m.globalRc('maxsockets=4\n')
    expect((await m.load()).maxSockets).toBe(4)

    const otherPrefix = join(m.root, 'other-prefix')
    m.write(join(otherPrefix, 'etc', 'npmrc'), 'maxsockets=6\n')
    m.userRc(`prefix=${otherPrefix}\n`)
    expect((await m.load()).maxSockets).toBe(6)
  })

  it('takes tote flags such as ignore-scripts, omit and offline through npm names', async () => {
    const m = makeMachine()
    m.userRc('ignore-scripts=true\nstrict-ssl=true\n')
    const config = await m.load({
      flags: {
        'ignore-scripts': false,
        'strict-ssl': false,
        offline: true,
        'prefer-offline': true,
        'prefer-online': false,
        'legacy-peer-deps': true,
        'omit-lockfile-registry-resolved': true,
        omit: ['optional', 'peer'],
        'fetch-retry-mintimeout': '5',
        'fetch-retry-maxtimeout': '50',
        maxsockets: '16',
        'user-agent': 'tote-test {node-version}',
        'lockfile-version': '2',
        registry: undefined,
      },
    })
    expect(config.ignoreScripts).toBe(false)
    expect(config.strictSSL).toBe(false)
    expect(config.offline).toBe(true)
    expect(config.preferOffline).toBe(true)
    expect(config.preferOnline).toBe(false)
    expect(config.legacyPeerDeps).toBe(true)
    expect(config.omitLockfileRegistryResolved).toBe(true)
    expect(config.omit).toEqual(['optional', 'peer'])
    expect(config.fetchRetryMinTimeout).toBe(5)
    expect(config.fetchRetryMaxTimeout).toBe(50)
    expect(config.maxSockets).toBe(16)
    expect(config.maxSocketsSet).toBe(true)
    expect(config.userAgent).toBe('tote-test {node-version}')
    expect(config.registry).toBe(npmDefaults.registry)
  })
})

describe('project root', () => {
  it('walks up from cwd to the nearest folder with package.json and reads its .npmrc', async () => {
    const m = makeMachine()
    m.projectRc('registry=http://project.test/\n')
    const deep = join(m.project, 'src', 'deep')
    mkdirSync(deep, { recursive: true })
    const config = await m.load({ cwd: deep })
    expect(config.projectDir).toBe(m.project)
    expect(config.registry).toBe('http://project.test/')
  })

  it('stops at a folder that has node_modules but no package.json', async () => {
    const m = makeMachine()
    const inner = join(m.project, 'inner')
    mkdirSync(join(inner, 'node_modules'), { recursive: true })
    m.write(join(inner, '.npmrc'), 'registry=http://inner.test/\n')
    m.projectRc('registry=http://outer.test/\n')
    const config = await m.load({ cwd: join(inner) })
    expect(config.projectDir).toBe(inner)
    expect(config.registry).toBe('http://inner.test/')
  })

  it('uses the workspace root, not the workspace, when cwd is inside a workspace (npm ignores the workspace .npmrc)', async () => {
    const m = makeMachine()
    m.write(join(m.project, 'package.json'), '{"name":"root","workspaces":["packages/*"]}\n')
    m.projectRc('registry=http://root.test/\n')
    const workspace = join(m.project, 'packages', 'a')
    m.write(join(workspace, 'package.json'), '{"name":"a","version":"1.0.0"}\n')
    m.write(join(workspace, '.npmrc'), 'registry=http://workspace.test/\n')
    const config = await m.load({ cwd: workspace })
    expect(config.projectDir).toBe(m.project)
    expect(config.registry).toBe('http://root.test/')
  })

  it('falls back to cwd when no folder above has package.json or node_modules', async () => {
    const m = makeMachine()
    const lonely = join(m.root, 'lonely')
    mkdirSync(lonely)
    const config = await m.load({ cwd: lonely })
    expect(config.projectDir).toBe(lonely)
  })

  it('does not read the project .npmrc twice when the project is the home folder', async () => {
    const m = makeMachine()
    m.write(join(m.home, 'package.json'), '{}\n')
    m.userRc('fetch-retries=4\n')
    const config = await loadConfig({ cwd: m.home, env: m.env(), homedir: m.home })
    expect(config.projectDir).toBe(m.home)
    expect(config.fetchRetries).toBe(4)
    expect(config.sources.map((s) => s.layer)).toEqual(['user', 'global'])
  })
})

describe('raw keys', () => {
  it('get() returns any key after npm parsing', async () => {
    const m = makeMachine()
    m.userRc('tote-custom=hello\nfetch-retries=3\n//r.test/:always-auth=true\n')
    const config = await m.load()
    expect(config.get('tote-custom')).toBe('hello')
    expect(config.get('fetch-retries')).toBe(3)
    expect(config.get('//r.test/:always-auth')).toBe(true)
    expect(config.get('no-such-key')).toBeUndefined()
  })
})
