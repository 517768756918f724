import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scratch, tote } from './_tote.js'

let registry: TestRegistry

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: {
      app: { versions: { '1.0.0': { dependencies: { lib: '^1.0.0', util: '^2.0.0' } } } },
      lib: { versions: { '1.0.0': {}, '1.2.0': { dependencies: { util: '^1.0.0' } }, '2.0.0': {} } },
      util: { versions: { '1.0.0': {}, '1.5.0': {}, '2.0.0': {}, '2.1.0': {} } },
      // arrow's optional peer types-dom is absent, and it would not fit beside types@18
      popper: { versions: { '1.0.0': { dependencies: { arrow: '^1.0.0' } } } },
      arrow: {
        versions: {
          '1.0.0': {
            peerDependencies: { types: '*', 'types-dom': '*' },
            peerDependenciesMeta: { types: { optional: true }, 'types-dom': { optional: true } },
          },
        },
      },
      types: { versions: { '18.0.0': {}, '19.0.0': {} } },
      'types-dom': { versions: { '19.0.0': { peerDependencies: { types: '^19.0.0' } } } },
      wants_missing: { versions: { '1.0.0': { dependencies: { 'no-such-package': '^1.0.0' } } } },
    },
  })
})
afterAll(() => registry.close())

describe('tote install --lockfile-only', () => {
  it('writes an npm v3 lockfile, the same bytes every time', async () => {
    const project = scratch({ name: 'p', version: '1.0.0', dependencies: { app: '^1.0.0' } })
    const run = () =>
      tote(['install', '--lockfile-only'], { ...project, cwd: project.dir, registry: registry.url })
    const first = await run()
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/resolved 4 packages \(3 registry documents\)/)
    const text = readFileSync(join(project.dir, 'package-lock.json'), 'utf8')
    const lock = JSON.parse(text)
    expect(lock.lockfileVersion).toBe(3)
    expect(Object.keys(lock.packages).sort()).toEqual([
      '',
      'node_modules/app',
      'node_modules/lib',
      'node_modules/lib/node_modules/util',
      'node_modules/util',
    ])
    expect(lock.packages['node_modules/util'].version).toBe('2.1.0')
    expect(lock.packages['node_modules/lib/node_modules/util'].version).toBe('1.5.0')
    expect(lock.packages['node_modules/app'].integrity).toBe(registry.integrity('app', '1.0.0'))
    expect(existsSync(join(project.dir, 'node_modules'))).toBe(false)

    const second = await tote(['install', '--lockfile-only'], {
      ...project,
      cwd: project.dir,
      registry: registry.url,
      env: { TOTE_CACHE_DIR: join(project.cache, 'other') },
    })
    expect(second.code).toBe(0)
    expect(readFileSync(join(project.dir, 'package-lock.json'), 'utf8')).toBe(text)
  })

  it('leaves an up-to-date lockfile alone, and rewrites it after package.json changes', async () => {
    const project = scratch({ name: 'p', version: '1.0.0', dependencies: { app: '^1.0.0' } })
    const run = () =>
      tote(['install', '--lockfile-only'], { ...project, cwd: project.dir, registry: registry.url })
    const lockPath = join(project.dir, 'package-lock.json')
    expect((await run()).stdout).toMatch(/wrote package-lock\.json/)
    const written = statSync(lockPath).ino

    const again = await run()
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/package-lock\.json is up to date/)
    // Not replaced: a rewrite goes through a temporary file and a rename, which changes the inode.
    expect(statSync(lockPath).ino).toBe(written)

    const manifest = JSON.parse(readFileSync(join(project.dir, 'package.json'), 'utf8'))
    manifest.dependencies.types = '^18.0.0'
    writeFileSync(join(project.dir, 'package.json'), JSON.stringify(manifest))
    const changed = await run()
    expect(changed.code).toBe(0)
    expect(changed.stdout).toMatch(/wrote package-lock\.json/)
    const lock = JSON.parse(readFileSync(lockPath, 'utf8'))
    expect(lock.packages['node_modules/types'].version).toBe('18.0.0')
    expect(lock.packages[''].dependencies).toEqual({ app: '^1.0.0', types: '^18.0.0' })
  })

  it('leaves absent optional peers unweighed, unless --npm-peer-sets asks for the tree npm builds', async () => {
    const manifest = { name: 'p', version: '1.0.0', dependencies: { popper: '^1.0.0', types: '^18.0.0' } }
    const paths = async (flags: string[]) => {
      const project = scratch(manifest)
      const result = await tote(['install', '--lockfile-only', ...flags], {
        ...project,
        cwd: project.dir,
        registry: registry.url,
      })
      expect(result.code).toBe(0)
      return Object.keys(JSON.parse(readFileSync(join(project.dir, 'package-lock.json'), 'utf8')).packages)
    }
    // npm weighs types-dom beside arrow at the top, finds types@18 there and nests arrow
    expect(await paths(['--npm-peer-sets'])).toEqual([
      '',
      'node_modules/popper',
      'node_modules/popper/node_modules/arrow',
      'node_modules/types',
    ])
    expect(await paths([])).toEqual(['', 'node_modules/arrow', 'node_modules/popper', 'node_modules/types'])
  })

  it('omit-lockfile-registry-resolved, from .npmrc or the flag (the flag wins), leaves resolved out as npm does', async () => {
    const project = scratch({ name: 'p', version: '1.0.0', dependencies: { lib: '1.0.0' } })
    writeFileSync(join(project.dir, '.npmrc'), 'omit-lockfile-registry-resolved=true\n')
    const lock = () => JSON.parse(readFileSync(join(project.dir, 'package-lock.json'), 'utf8'))
    const run = (...flags: string[]) =>
      tote(['install', '--lockfile-only', ...flags], { ...project, cwd: project.dir, registry: registry.url })
    expect((await run()).code).toBe(0)
    expect(lock().packages['node_modules/lib']).not.toHaveProperty('resolved')
    expect(lock().packages['node_modules/lib'].integrity).toMatch(/^sha512-/)
    rmSync(join(project.dir, 'package-lock.json'))
    expect((await run('--omit-lockfile-registry-resolved=false')).code).toBe(0)
    expect(lock().packages['node_modules/lib'].resolved).toBe(
      new URL('lib/-/lib-1.0.0.tgz', registry.url).href,
    )
    expect(readFileSync(join(project.dir, 'package-lock.json'), 'utf8')).toContain('"resolved"')
  })

  it('fails clearly without a package.json', async () => {
    const project = scratch()
    const result = await tote(['install', '--lockfile-only'], {
      ...project,
      cwd: project.dir,
      registry: registry.url,
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('ENOPACKAGEJSON')
    expect(result.stderr).toContain('hint:')
    expect(existsSync(join(project.dir, 'package-lock.json'))).toBe(false)
  })

  it('points at the line and column of invalid package.json', async () => {
    const project = scratch('{\n  "dependencies": {\n    "app": "^1.0.0",\n  }\n}\n')
    const result = await tote(['install', '--lockfile-only'], {
      ...project,
      cwd: project.dir,
      registry: registry.url,
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('EJSONPARSE')
    expect(result.stderr).toContain('package.json:4:3')
    expect(existsSync(join(project.dir, 'package-lock.json'))).toBe(false)
  })

  it('names the chain that wanted an unknown package', async () => {
    const project = scratch({ dependencies: { wants_missing: '1.0.0' } })
    const result = await tote(['install', '--lockfile-only'], {
      ...project,
      cwd: project.dir,
      registry: registry.url,
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('E404')
    expect(result.stderr).toContain('no-such-package')
    expect(result.stderr).toContain('wants_missing@1.0.0')
    expect(existsSync(join(project.dir, 'package-lock.json'))).toBe(false)
  })

  it('lists the nearest versions when no version matches', async () => {
    const project = scratch({ dependencies: { util: '^3.0.0' } })
    const result = await tote(['install', '--lockfile-only'], {
      ...project,
      cwd: project.dir,
      registry: registry.url,
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('ETARGET')
    expect(result.stderr).toContain('^3.0.0')
    expect(result.stderr).toContain('2.1.0')
    expect(existsSync(join(project.dir, 'package-lock.json'))).toBe(false)
  })

  it('says which URL failed and how many times it tried', async () => {
    const project = scratch({ dependencies: { lib: '^1.0.0' } })
    registry.fault(registry.packumentPath('lib'), { status: 503 })
    try {
      const result = await tote(['install', '--lockfile-only'], {
        ...project,
        cwd: project.dir,
        registry: registry.url,
        env: { npm_config_fetch_retries: '2' },
      })
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(`${registry.url}lib`)
      expect(result.stderr).toMatch(/3 (tries|attempts)/)
      expect(existsSync(join(project.dir, 'package-lock.json'))).toBe(false)
    } finally {
      registry.clearFaults()
    }
  })

  it('names a git dependency git cannot reach (EGIT), without crashing', async () => {
    const project = scratch({ dependencies: { thing: 'git+file:///nowhere/thing.git' } })
    const result = await tote(['install', '--lockfile-only'], {
      ...project,
      cwd: project.dir,
      registry: registry.url,
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('EGIT')
    expect(result.stderr).toContain('thing@git+file:///nowhere/thing.git')
    expect(result.stderr).not.toContain('unexpected error')
  })

  it('prints nothing with --silent', async () => {
    const project = scratch({ dependencies: { util: '^1.0.0' } })
    const result = await tote(['install', '--lockfile-only', '--silent'], {
      ...project,
      cwd: project.dir,
      registry: registry.url,
    })
    expect(result).toMatchObject({ code: 0, stdout: '', stderr: '' })
    expect(existsSync(join(project.dir, 'package-lock.json'))).toBe(true)
  })
})
