// undici is pinned to one exact version because tote relies on more than its documented surface:
// the error codes src/http/_errors.ts sorts into timeouts, resets and the rest; `connect.lookup`; the
// explicit-empty proxy options of EnvHttpProxyAgent; and, in the CLI's bundle (apps/cli/build.mjs),
// undici's own module files, required by path, and the shape of lib/dispatcher/client-h2.js. Each
// test holds one of those facts against the installed copy (the one the CLI bundles: it resolves
// undici from this package), so that an upgrade that changes one fails here, by name.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { networkErrorKind } from '../src/http/_errors.js'

const require = createRequire(import.meta.url)
const undiciDir = dirname(require.resolve('undici/package.json'))
const ours = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))

let registry: TestRegistry
beforeAll(async () => {
  registry = await createTestRegistry({ packages: { a: { versions: { '1.0.0': {} } } } })
})
afterAll(() => registry.close())

/** The error (or undefined) of a GET whose body is read to the end. */
async function failureOf(dispatcher: Dispatcher, url: string): Promise<unknown> {
  try {
    const { origin, pathname } = new URL(url)
    const response = await dispatcher.request({ origin, path: pathname, method: 'GET' })
    await response.body.arrayBuffer()
    return undefined
  } catch (error) {
    return error
  } finally {
    await dispatcher.close()
  }
}

describe('undici, as tote uses it', () => {
  it('is pinned exactly, and the installed copy is that version', () => {
    expect(ours.dependencies.undici).toMatch(/^\d+\.\d+\.\d+$/)
    const installed = JSON.parse(readFileSync(join(undiciDir, 'package.json'), 'utf8'))
    expect(installed.version).toBe(ours.dependencies.undici)
  })

  it('fails a late response with a code tote counts as a timeout', async () => {
    registry.fault(registry.packumentPath('a'), { delayMs: 2_000, times: 1 })
    const error = await failureOf(new Agent({ headersTimeout: 100 }), registry.url + 'a')
    expect((error as { code?: string }).code).toBe('UND_ERR_HEADERS_TIMEOUT')
    expect(networkErrorKind(error)).toBe('timeout')
  })

  it('fails a body that stalls with a code tote counts as a timeout', async () => {
    registry.fault(registry.packumentPath('a'), { stallAfterBytes: 10, stallMs: 2_000, times: 1 })
    const error = await failureOf(new Agent({ bodyTimeout: 100 }), registry.url + 'a')
    expect((error as { code?: string }).code).toBe('UND_ERR_BODY_TIMEOUT')
    expect(networkErrorKind(error)).toBe('timeout')
  })

  it('fails a reset or a truncated body with a code tote counts as a reset', async () => {
    registry.fault(registry.packumentPath('a'), { resetAfterBytes: 10, times: 1 })
    const reset = await failureOf(new Agent(), registry.url + 'a')
    expect(networkErrorKind(reset)).toBe('reset')
    registry.fault(registry.packumentPath('a'), { truncateAfterBytes: 10, times: 1 })
    const truncated = await failureOf(new Agent(), registry.url + 'a')
    expect(networkErrorKind(truncated)).toBe('reset')
  })

  it('connects through `connect.lookup` (the DNS lookup tote memoises)', async () => {
    const asked: string[] = []
    const lookup = (
      hostname: string,
      options: { all?: boolean },
      callback: (
        error: Error | null,
        address: string | { address: string; family: number }[],
        family?: number,
      ) => void,
    ) => {
      asked.push(hostname)
      if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }])
      else callback(null, '127.0.0.1', 4)
    }
    const url = registry.url.replace('127.0.0.1', 'tote-lookup.test') + 'a'
    const error = await failureOf(new Agent({ connect: { lookup } }), url)
    expect(error).toBeUndefined()
    expect(asked).toEqual(['tote-lookup.test'])
  })

  it('EnvHttpProxyAgent: explicit empty proxies ignore the environment, and noProxy bypasses a given one', async () => {
    const saved = { http_proxy: process.env.http_proxy, HTTP_PROXY: process.env.HTTP_PROXY }
    // A proxy in the environment that refuses connections: used, it would fail the request.
    process.env.http_proxy = 'http://127.0.0.1:9/'
    process.env.HTTP_PROXY = 'http://127.0.0.1:9/'
    try {
      const direct = new EnvHttpProxyAgent({ httpProxy: '', httpsProxy: '', noProxy: '' })
      expect(await failureOf(direct, registry.url + 'a')).toBeUndefined()

      // (test/connect.test.ts sends requests through a given proxy.)
      const bypassed = new EnvHttpProxyAgent({ httpProxy: 'http://127.0.0.1:9/', noProxy: '127.0.0.1' })
      expect(await failureOf(bypassed, registry.url + 'a')).toBeUndefined()
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
      }
    }
  })

  it('has the module files the CLI bundle requires by path, with the shapes it expects', async () => {
    const api = require(join(undiciDir, 'lib/api/index.js'))
    for (const method of ['request', 'stream', 'pipeline', 'connect', 'upgrade']) {
      expect(typeof api[method], method).toBe('function')
    }
    const AgentClass = require(join(undiciDir, 'lib/dispatcher/agent.js'))
    const DispatcherClass = require(join(undiciDir, 'lib/dispatcher/dispatcher.js'))
    const EnvHttpProxyAgentClass = require(join(undiciDir, 'lib/dispatcher/env-http-proxy-agent.js'))
    expect(AgentClass).toBe(Agent)
    expect(EnvHttpProxyAgentClass).toBe(EnvHttpProxyAgent)
    expect(new AgentClass()).toBeInstanceOf(DispatcherClass)
    // undici's index gives every dispatcher the request methods this way; the bundle does the same.
    expect(DispatcherClass.prototype.request).toBe(api.request)

    // The bundle replaces `./client-h2.js`, required by the HTTP/1.1 client, with a stand-in that
    // forwards (client, socket) to the real one on first use.
    const client = readFileSync(join(undiciDir, 'lib/dispatcher/client.js'), 'utf8')
    expect(client).toContain("require('./client-h2.js')")
    const connectH2 = require(join(undiciDir, 'lib/dispatcher/client-h2.js'))
    expect(typeof connectH2).toBe('function')
    expect(connectH2.length).toBe(2)
  })
})
