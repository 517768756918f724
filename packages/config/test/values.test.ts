// biome-ignore-all lint/suspicious/noTemplateCurlyInString: npmrc values use ${VAR} syntax
import { chmodSync } from 'node:fs'
import { join } from 'node:path'
import { isToteError } from '@tote/types'
import { describe, expect, it } from 'vitest'
import { makeMachine } from './_fixture.js'

const pem = (body: string) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`

async function configError(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!isToteError(error)) throw new Error(`expected a ToteError, got ${String(error)}`)
  return error
}

describe('${ENV} interpolation', () => {
  it('replaces ${VAR} from the given environment, ${VAR?} with empty when unset', async () => {
    const m = makeMachine()
    m.projectRc('registry=http://${REG_HOST}/${REG_PATH?}\nuser-agent=ua-${MISSING?}x\n')
    const config = await m.load({ env: { REG_HOST: '127.0.0.1:4873' } })
    expect(config.registry).toBe('http://127.0.0.1:4873/')
    expect(config.userAgent).toBe('ua-x')
  })

  it('keeps ${VAR} as written when VAR is unset (so a registry becomes unusable and says so)', async () => {
    const m = makeMachine()
    const rc = m.projectRc('registry=http://${NOT_SET}/\n')
    const error = await configError(m.load())
    expect(error.code).toBe('ECONFIG')
    expect(error.message).toContain('${NOT_SET}')
    expect(error.message).toContain('NOT_SET is not set')
    expect(error.hint).toContain(rc)
  })
})

describe('certificates', () => {
  it('reads cafile and splits it into PEM certificates', async () => {
    const m = makeMachine()
    const file = m.write(join(m.root, 'ca.pem'), `${pem('AAA')}\r\n${pem('BBB')}\n\n`)
    m.userRc(`cafile=${file}\n`)
    const config = await m.load()
    expect(config.ca).toEqual([pem('AAA'), pem('BBB')])
  })

  it('takes ca as a string or an array', async () => {
    const m = makeMachine()
    m.userRc(`ca="${pem('ONE').replace(/\n/g, '\\n')}"\n`)
    expect((await m.load()).ca).toEqual([pem('ONE')])

    m.userRc(`ca[]="${pem('ONE').replace(/\n/g, '\\n')}"\nca[]="${pem('TWO').replace(/\n/g, '\\n')}"\n`)
    expect((await m.load()).ca).toEqual([pem('ONE'), pem('TWO')])
  })

  it('lets the higher layer win between ca and cafile', async () => {
    const m = makeMachine()
    const file = m.write(join(m.root, 'ca.pem'), pem('FILE'))
    m.userRc(`cafile=${file}\n`)
    const config = await m.load({ flags: { ca: pem('FLAG') } })
    expect(config.ca).toEqual([pem('FLAG')])
  })

  it('refuses a cafile that cannot be read or holds no certificate', async () => {
    const m = makeMachine()
    const rc = m.userRc(`cafile=${join(m.root, 'missing.pem')}\n`)
    const missing = await configError(m.load())
    expect(missing.code).toBe('ECONFIG')
    expect(missing.hint).toContain(rc)
    expect(missing.hint).toContain('cafile')

    const empty = m.write(join(m.root, 'empty.pem'), 'not a certificate\n')
    const flagged = await configError(m.load({ flags: { cafile: empty } }))
    expect(flagged.code).toBe('ECONFIG')
    expect(flagged.hint).toContain('--cafile')
  })

  it('refuses an unreadable cafile', async () => {
    if (process.getuid?.() === 0) {
      // root reads any file; a folder is unreadable as a file for everyone
      const m = makeMachine()
      m.userRc(`cafile=${m.root}\n`)
      expect((await configError(m.load())).code).toBe('ECONFIG')
      return
    }
    const m = makeMachine()
    const file = m.write(join(m.root, 'locked.pem'), pem('X'))
    chmodSync(file, 0)
    m.userRc(`cafile=${file}\n`)
    expect((await configError(m.load())).code).toBe('ECONFIG')
  })
})

describe('proxies', () => {
  it('uses the environment when no proxy is configured: https_proxy for https, then http_proxy for http', async () => {
    const m = makeMachine()
    const config = await m.load({
      env: {
        HTTPS_PROXY: 'http://127.0.0.1:3128',
        http_proxy: 'http://127.0.0.1:3129',
        NO_PROXY: 'internal.test, .corp.test',
      },
    })
    expect(config.httpsProxy).toBe('http://127.0.0.1:3128')
    // npm's agent prefers https_proxy for http: requests too
    expect(config.proxy).toBe('http://127.0.0.1:3128')
    expect(config.noProxy).toEqual(['internal.test', '.corp.test'])
    expect(config.proxyFor('https://r.test/pkg')).toBe('http://127.0.0.1:3128')
    expect(config.proxyFor('https://a.internal.test/pkg')).toBeUndefined()
    expect(config.proxyFor('http://x.corp.test/pkg')).toBeUndefined()
    expect(config.proxyFor('http://corp.test.example/pkg')).toBe('http://127.0.0.1:3128')

    const httpOnly = await m.load({ env: { HTTP_PROXY: 'http://127.0.0.1:3129' } })
    expect(httpOnly.httpsProxy).toBeUndefined()
    expect(httpOnly.proxy).toBe('http://127.0.0.1:3129')
    expect(httpOnly.proxyFor('https://r.test/pkg')).toBeUndefined()
    expect(httpOnly.proxyFor('http://r.test/pkg')).toBe('http://127.0.0.1:3129')
  })

  it('lets the later spelling of a variable win, as npm does', async () => {
    const m = makeMachine()
    const upperLast = await m.load({
      env: { https_proxy: 'http://127.0.0.1:1', HTTPS_PROXY: 'http://127.0.0.1:2' },
    })
    expect(upperLast.httpsProxy).toBe('http://127.0.0.1:2')
    const lowerLast = await m.load({
      env: { HTTPS_PROXY: 'http://127.0.0.1:2', https_proxy: 'http://127.0.0.1:1' },
    })
    expect(lowerLast.httpsProxy).toBe('http://127.0.0.1:1')
  })

  it('puts configured https-proxy, then proxy, before the environment, and noproxy before NO_PROXY', async () => {
    const m = makeMachine()
    m.userRc('proxy=http://127.0.0.1:8080/\nnoproxy=skip.test\n')
    const env = { HTTPS_PROXY: 'http://127.0.0.1:3128', NO_PROXY: 'env.test' }
    const withProxy = await m.load({ env })
    expect(withProxy.httpsProxy).toBe('http://127.0.0.1:8080/')
    expect(withProxy.proxy).toBe('http://127.0.0.1:8080/')
    expect(withProxy.noProxy).toEqual(['skip.test'])
    expect(withProxy.proxyFor('https://env.test/')).toBe('http://127.0.0.1:8080/')

    const withBoth = await m.load({ env, flags: { 'https-proxy': 'http://127.0.0.1:9090/' } })
    expect(withBoth.httpsProxy).toBe('http://127.0.0.1:9090/')
    expect(withBoth.proxy).toBe('http://127.0.0.1:9090/')
  })

  it('refuses a proxy that is not a URL, naming the variable', async () => {
    const m = makeMachine()
    const error = await configError(m.load({ env: { HTTPS_PROXY: 'not a url' } }))
    expect(error.code).toBe('ECONFIG')
    expect(error.hint).toContain('HTTPS_PROXY')
  })
})

describe('omit', () => {
  it('reads --omit, removes --include, and treats NODE_ENV=production as omit=dev', async () => {
    const m = makeMachine()
    expect((await m.load({ flags: { omit: 'dev' } })).omit).toEqual(['dev'])
    expect((await m.load({ flags: { omit: ['dev', 'optional'], include: ['dev'] } })).omit).toEqual([
      'optional',
    ])
    expect((await m.load({ env: { NODE_ENV: 'production' } })).omit).toEqual(['dev'])
    expect((await m.load({ env: { NODE_ENV: 'production' }, flags: { include: 'dev' } })).omit).toEqual([])
    expect((await m.load({ env: { NODE_ENV: 'development' } })).omit).toEqual([])
  })

  it('lets a configured omit replace the NODE_ENV default, and reads the old production/optional keys', async () => {
    const m = makeMachine()
    m.projectRc('omit=peer\n')
    expect((await m.load({ env: { NODE_ENV: 'production' } })).omit).toEqual(['peer'])
    m.projectRc('production=true\noptional=false\n')
    expect((await m.load()).omit).toEqual(['dev', 'optional'])
    // an empty omit is configured as "nothing", which replaces the NODE_ENV default
    m.projectRc('omit=\n')
    expect((await m.load({ env: { NODE_ENV: 'production' } })).omit).toEqual([])
  })

  it('refuses an unknown dependency type', async () => {
    const m = makeMachine()
    const rc = m.projectRc('omit[]=dev\nomit[]=bogus\n')
    const fromFile = await configError(m.load())
    expect(fromFile.code).toBe('ECONFIG')
    expect(fromFile.hint).toContain(rc)

    const fromFlag = await configError(makeMachine().load({ flags: { omit: ['bogus'] } }))
    expect(fromFlag.code).toBe('ECONFIG')
    expect(fromFlag.message).toContain('--omit')
  })
})

describe('cache folder', () => {
  it('takes --cache-dir, else TOTE_CACHE_DIR, else $XDG_CACHE_HOME/tote, else ~/.cache/tote', async () => {
    const m = makeMachine()
    m.userRc(`cache=${join(m.root, 'npm-cache')}\n`)
    const xdg = join(m.root, 'xdg')
    const all = { TOTE_CACHE_DIR: join(m.root, 'env-cache'), XDG_CACHE_HOME: xdg }
    expect((await m.load({ env: all, flags: { 'cache-dir': 'rel/cache' } })).cacheDir).toBe(
      join(m.project, 'rel', 'cache'),
    )
    expect((await m.load({ env: all })).cacheDir).toBe(join(m.root, 'env-cache'))
    expect((await m.load({ env: { XDG_CACHE_HOME: xdg } })).cacheDir).toBe(join(xdg, 'tote'))
    // a relative XDG_CACHE_HOME is ignored, as the XDG spec says
    expect((await m.load({ env: { XDG_CACHE_HOME: 'relative' } })).cacheDir).toBe(
      join(m.home, '.cache', 'tote'),
    )
    expect((await m.load()).cacheDir).toBe(join(m.home, '.cache', 'tote'))
  })
})

describe('bad values', () => {
  it.each([
    ['registry=not-a-url\n', 'registry'],
    ['registry=ftp://files.test/\n', 'registry'],
    ['@acme:registry=acme\n', '@acme:registry'],
    ['fetch-retries=many\n', 'fetch-retries'],
    ['fetch-timeout=-1\n', 'fetch-timeout'],
    ['strict-ssl=perhaps\n', 'strict-ssl'],
    ['proxy=://nope\n', 'proxy'],
  ])('refuses %j with ECONFIG naming the file and key', async (text, key) => {
    const m = makeMachine()
    const rc = m.userRc(text)
    const error = await configError(m.load())
    expect(error.code).toBe('ECONFIG')
    expect(error.hint).toContain(rc)
    expect(error.hint).toContain(key)
    expect(error.details.key).toBe(key)
  })

  it('names the variable when the value came from the environment', async () => {
    const error = await configError(makeMachine().load({ env: { npm_config_registry: 'nope' } }))
    expect(error.code).toBe('ECONFIG')
    expect(error.hint).toContain('npm_config_registry')
    const upper = await configError(makeMachine().load({ env: { NPM_CONFIG_FETCH_RETRIES: 'lots' } }))
    expect(upper.hint).toContain('NPM_CONFIG_FETCH_RETRIES')
  })

  it('refuses a flag value that npm would drop', async () => {
    const m = makeMachine()
    for (const flags of [{ registry: 'nope' }, { 'fetch-retries': 'x' }, { 'cache-dir': true }]) {
      const error = await configError(m.load({ flags }))
      expect(error.code).toBe('ECONFIG')
      expect(error.message).toContain(`--${Object.keys(flags)[0]}`)
    }
  })
})
