// biome-ignore-all lint/suspicious/noTemplateCurlyInString: npmrc values use ${VAR} syntax
import { describe, expect, it } from 'vitest'
import { makeMachine } from './_fixture.js'

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
const b64 = (text: string) => Buffer.from(text).toString('base64')

describe('authHeaderFor', () => {
  it('sends a token configured for //host/path/ to URLs under that path, walking up one segment at a time', async () => {
    const m = makeMachine()
    m.userRc('//r.example.test/a/:_authToken=tok-a\n')
    const config = await m.load()
    expect(config.authHeaderFor('https://r.example.test/a/b/pkg')).toBe('Bearer tok-a')
    expect(config.authHeaderFor('https://r.example.test/a/b/c/pkg/-/pkg-1.0.0.tgz')).toBe('Bearer tok-a')
    expect(config.authHeaderFor('http://r.example.test/a/')).toBe('Bearer tok-a')
  })

  it('never sends it to another host, another port or a sibling path', async () => {
    const m = makeMachine()
    m.userRc('//r.example.test/a/:_authToken=tok-a\n//127.0.0.1:4873/:_authToken=tok-port\n')
    const config = await m.load()
    expect(config.authHeaderFor('https://r.example.test/b/pkg')).toBeUndefined()
    expect(config.authHeaderFor('https://r.example.test/pkg')).toBeUndefined()
    expect(config.authHeaderFor('https://other.example.test/a/b/pkg')).toBeUndefined()
    expect(config.authHeaderFor('https://example.test/a/b/pkg')).toBeUndefined()
    expect(config.authHeaderFor('https://r.example.test:8443/a/b/pkg')).toBeUndefined()
    expect(config.authHeaderFor('http://127.0.0.1:4873/pkg')).toBe('Bearer tok-port')
    expect(config.authHeaderFor('http://127.0.0.1:4874/pkg')).toBeUndefined()
    expect(config.authHeaderFor('http://127.0.0.1/pkg')).toBeUndefined()
  })

  it('prefers the longest matching path', async () => {
    const m = makeMachine()
    m.userRc('//r.test/:_authToken=root\n//r.test/a/b/:_authToken=deep\n')
    const config = await m.load()
    expect(config.authHeaderFor('http://r.test/a/b/pkg')).toBe('Bearer deep')
    expect(config.authHeaderFor('http://r.test/a/pkg')).toBe('Bearer root')
  })

  it('matches keys written without the trailing slash (//host/path:_authToken)', async () => {
    const m = makeMachine()
    m.userRc('//r.test/npm:_authToken=no-slash\n')
    const config = await m.load()
    expect(config.authHeaderFor('http://r.test/npm/pkg')).toBe('Bearer no-slash')
    expect(config.authHeaderFor('http://r.test/npmx/pkg')).toBeUndefined()
  })

  it('builds Basic auth from :_auth and from :username + base64 :_password', async () => {
    const m = makeMachine()
    m.userRc(
      [
        `//auth.test/:_auth=${b64('ann:s3cret')}`,
        '//pw.test/:username=bob',
        `//pw.test/:_password=${b64('p:w')}`,
        '//half.test/:username=only-user',
        '',
      ].join('\n'),
    )
    const config = await m.load()
    expect(config.authHeaderFor('http://auth.test/pkg')).toBe(basic('ann', 's3cret'))
    expect(config.authHeaderFor('http://pw.test/pkg')).toBe(basic('bob', 'p:w'))
    // a username without a password is no credential
    expect(config.authHeaderFor('http://half.test/pkg')).toBeUndefined()
  })

  it('prefers a token over _auth over username/password at the same key', async () => {
    const m = makeMachine()
    m.userRc(
      `//r.test/:_auth=${b64('a:b')}\n//r.test/:_authToken=tok\n//s.test/:username=u\n//s.test/:_password=${b64('p')}\n//s.test/:_auth=${b64('x:y')}\n`,
    )
    const config = await m.load()
    expect(config.authHeaderFor('http://r.test/pkg')).toBe('Bearer tok')
    expect(config.authHeaderFor('http://s.test/pkg')).toBe(basic('x', 'y'))
  })

  it('stops at a client certificate key without going further up (npm treats it as credentials)', async () => {
    const m = makeMachine()
    m.userRc('//r.test/:_authToken=root\n//r.test/mtls/:certfile=/c.pem\n//r.test/mtls/:keyfile=/k.pem\n')
    const config = await m.load()
    expect(config.authHeaderFor('http://r.test/mtls/pkg')).toBeUndefined()
    expect(config.authHeaderFor('http://r.test/other/pkg')).toBe('Bearer root')
  })

  it("uses the registry's credentials for a tarball on the registry's host outside its path", async () => {
    const m = makeMachine()
    m.userRc('registry=http://r.test/npm/registry/\n//r.test/npm/registry/:_authToken=reg\n')
    const config = await m.load()
    expect(config.authHeaderFor('http://r.test/files/pkg-1.0.0.tgz')).toBe('Bearer reg')
    expect(config.authHeaderFor('http://cdn.test/files/pkg-1.0.0.tgz')).toBeUndefined()
  })

  it("uses a scope's registry credentials when the package name is given", async () => {
    const m = makeMachine()
    m.userRc(
      '@acme:registry=http://acme.test/reg/\n//acme.test/reg/:_authToken=acme\n//r.test/:_authToken=default\n',
    )
    const config = await m.load({ flags: { registry: 'http://r.test/' } })
    expect(config.authHeaderFor('http://acme.test/tarballs/x.tgz', '@acme/x')).toBe('Bearer acme')
    expect(config.authHeaderFor('http://acme.test/tarballs/x.tgz', 'plain')).toBeUndefined()
    expect(config.authHeaderFor('http://r.test/plain')).toBe('Bearer default')
  })

  it('applies legacy top-level _authToken / _auth to the default registry only', async () => {
    const m = makeMachine()
    m.userRc('registry=http://127.0.0.1:4873/\n_authToken=legacy\n@acme:registry=http://acme.test/\n')
    const config = await m.load()
    expect(config.authHeaderFor('http://127.0.0.1:4873/pkg')).toBe('Bearer legacy')
    expect(config.authHeaderFor('http://acme.test/@acme/pkg', '@acme/pkg')).toBeUndefined()
    expect(config.authHeaderFor('http://127.0.0.1:4874/pkg')).toBeUndefined()

    const n = makeMachine()
    n.userRc(`registry=http://r.test/\n_auth=${b64('old:pw')}\n`)
    expect((await n.load()).authHeaderFor('http://r.test/pkg')).toBe(basic('old', 'pw'))
  })

  it('lets credentials nerf-darted to the default registry win over legacy ones', async () => {
    const m = makeMachine()
    m.userRc('registry=http://r.test/\n_authToken=legacy\n//r.test/:_authToken=scoped\n')
    expect((await m.load()).authHeaderFor('http://r.test/pkg')).toBe('Bearer scoped')
  })

  it('expands ${VAR} in tokens from the given environment', async () => {
    const m = makeMachine()
    m.projectRc('//r.test/:_authToken=${REG_TOKEN}\n')
    const config = await m.load({ env: { REG_TOKEN: 'from-env' } })
    expect(config.authHeaderFor('http://r.test/pkg')).toBe('Bearer from-env')
  })

  it('takes nerf-darted keys from npm_config_ variables without changing their case', async () => {
    const m = makeMachine()
    const config = await m.load({ env: { 'npm_config_//r.test/:_authToken': 'env-token' } })
    expect(config.authHeaderFor('http://r.test/pkg')).toBe('Bearer env-token')
  })
})

describe('registryFor', () => {
  it('maps scoped names to their registry and others to the default, normalised with a trailing slash', async () => {
    const m = makeMachine()
    m.userRc('registry=http://127.0.0.1:4873\n@acme:registry=http://acme.test/npm\n')
    m.projectRc('@other:registry=http://other.test/\n')
    const config = await m.load()
    expect(config.registry).toBe('http://127.0.0.1:4873/')
    expect(config.scopedRegistries).toEqual({
      '@acme': 'http://acme.test/npm/',
      '@other': 'http://other.test/',
    })
    expect(config.registryFor('@acme/widget')).toBe('http://acme.test/npm/')
    expect(config.registryFor('@other/x')).toBe('http://other.test/')
    expect(config.registryFor('@unknown/x')).toBe('http://127.0.0.1:4873/')
    expect(config.registryFor('left-pad')).toBe('http://127.0.0.1:4873/')
  })

  it('lets a higher layer override one scope', async () => {
    const m = makeMachine()
    m.userRc('@acme:registry=http://user.test/\n')
    const config = await m.load({ flags: { '@acme:registry': 'http://flag.test/' } })
    expect(config.registryFor('@acme/x')).toBe('http://flag.test/')
  })
})
