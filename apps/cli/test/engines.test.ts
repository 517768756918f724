import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scratch, tote } from './_tote.js'

// npm's engine check (buildIdealTree's checkEngineAndPlatform): a package whose engines.node this
// Node.js does not satisfy is a warning, and with engine-strict an error before anything is written.
// npm 11.19.1 on the same project: `npm warn EBADENGINE Unsupported engine { package: 'old@1.0.0',
// required: { node: '>=99' }, … }` and exit 0; with --engine-strict `npm error code EBADENGINE` and
// exit 1.

let registry: TestRegistry

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: {
      old: { versions: { '1.0.0': { engines: { node: '>=99' } } } },
      fine: { versions: { '1.0.0': { engines: { node: '>=18' } } } },
    },
  })
})
afterAll(() => registry.close())

function project() {
  return scratch({ name: 'p', version: '1.0.0', dependencies: { old: '1.0.0', fine: '1.0.0' } })
}

function run(where: ReturnType<typeof scratch>, args: string[]) {
  return tote(args, { ...where, cwd: where.dir, registry: registry.url })
}

describe('engines', () => {
  it('install warns EBADENGINE for a package this Node.js does not satisfy, and installs it (npm’s default)', async () => {
    const where = project()
    const result = await run(where, ['install'])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('EBADENGINE')
    expect(result.stderr).toContain(
      `old@1.0.0: wanted: {"node":">=99"} (current: {"node":"${process.version}"})`,
    )
    expect(result.stderr).not.toContain('fine@')
    expect(existsSync(join(where.dir, 'node_modules/old/package.json'))).toBe(true)
  })

  it('--engine-strict (or engine-strict in .npmrc) is the error, before package-lock.json or node_modules is written; --force goes past it', async () => {
    const where = project()
    const strict = await run(where, ['install', '--engine-strict'])
    expect(strict.code).toBe(1)
    expect(strict.stderr).toContain('EBADENGINE')
    expect(strict.stderr).toContain('old@1.0.0')
    expect(existsSync(join(where.dir, 'package-lock.json'))).toBe(false)
    expect(existsSync(join(where.dir, 'node_modules'))).toBe(false)

    const forced = await run(where, ['install', '--engine-strict', '--force'])
    expect(forced.code).toBe(0)
    expect(forced.stderr).not.toContain('EBADENGINE')
    expect(readFileSync(join(where.dir, 'package-lock.json'), 'utf8')).toContain('"node": ">=99"')

    // ci checks the lockfile's entries before emptying node_modules
    writeFileSync(join(where.dir, '.npmrc'), 'engine-strict=true\n')
    const ci = await run(where, ['ci'])
    expect(ci.code).toBe(1)
    expect(ci.stderr).toContain('EBADENGINE')
    expect(existsSync(join(where.dir, 'node_modules/old/package.json'))).toBe(true)
  })
})
