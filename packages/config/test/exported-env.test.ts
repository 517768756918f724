import { describe, expect, it } from 'vitest'
import { makeMachine } from './_fixture.js'

describe('exportedEnv and layerOf', () => {
  it("exports what npm exports to scripts: values that are not npm's defaults, and where they come from", async () => {
    const m = makeMachine()
    m.projectRc('registry=http://127.0.0.1:4873/\nallow-scripts=a,b\nnodedir=/opt/node\n')
    const config = await m.load({ env: { npm_config_fetch_retries: '5' }, flags: { 'ignore-scripts': true } })
    const env = config.exportedEnv()
    expect(env).toMatchObject({
      npm_config_registry: 'http://127.0.0.1:4873/',
      npm_config_nodedir: '/opt/node',
      npm_config_ignore_scripts: 'true',
      npm_config_local_prefix: m.project,
      HOME: m.home,
      INIT_CWD: process.cwd(),
    })
    // set by the environment already: npm leaves it there rather than exporting it again
    expect(env.npm_config_fetch_retries).toBeUndefined()
    // never exported (npm's envExport: false): a nested install would read it as a flag
    expect(env.npm_config_allow_scripts).toBeUndefined()
    // npm's defaults are not exported
    expect(env.npm_config_strict_ssl).toBeUndefined()
    expect(config.layerOf('allow-scripts')).toBe('project')
    expect(config.layerOf('fetch-retries')).toBe('env')
    expect(config.layerOf('ignore-scripts')).toBe('cli')
    expect(config.layerOf('strict-ssl')).toBe('default')
    // exporting changes nothing else: a second call gives the same
    expect(config.exportedEnv()).toEqual(env)
  })
})
