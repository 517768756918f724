import { spawn } from 'node:child_process'
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { delimiter, join } from 'node:path'
import { createContentCache } from '@tote/content-cache'
import { createTarball, createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pathWithThisNode, scratch, tote } from './_tote.js'

let registry: TestRegistry

/** Every file below `dir`, relative, for "nothing was written outside" checks. */
function walk(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = prefix + entry.name
    return entry.isDirectory() ? [path, ...walk(join(dir, entry.name), `${path}/`)] : [path]
  })
}

const big = 'x'.repeat(200_000)

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: {
      app: {
        versions: {
          '1.0.0': {
            dependencies: { lib: '^1.0.0', tool: '^1.0.0' },
            files: { 'index.js': 'module.exports = "app"\n' },
          },
        },
      },
      lib: { versions: { '1.0.0': { files: { 'index.js': 'module.exports = "lib"\n', 'data.txt': big } } } },
      tool: {
        versions: {
          '1.0.0': {
            bin: { tool: 'cli.js' },
            files: { 'cli.js': '#!/usr/bin/env node\nconsole.log("tool")\n' },
          },
        },
      },
      escaper: {
        versions: {
          '1.0.0': {
            bin: { '../../evil': 'cli.js', ok: 'cli.js' },
            files: { 'cli.js': '#!/usr/bin/env node\n' },
          },
        },
      },
      hostile: {
        versions: {
          '1.0.0': {
            tarball: createTarball([
              { path: 'package/package.json', content: '{"name":"hostile","version":"1.0.0"}' },
              { path: 'package/ok.js', content: 'ok' },
              { path: '/abs.js', content: 'x' },
              { path: 'package/../../dotdot.js', content: 'x' },
              { path: 'package\\..\\..\\backslash.js', content: 'x' },
              { path: 'C:/drive.js', content: 'x' },
              { path: 'package/link', type: 'symlink', linkTarget: '../../../../etc/passwd' },
              { path: 'package/hard', type: 'hardlink', linkTarget: '/etc/passwd' },
              { path: 'package/dev', type: 'character' },
              { path: 'package/fifo', type: 'fifo' },
            ]),
          },
        },
      },
      scripted: { versions: { '1.0.0': { scripts: { postinstall: 'node -e "process.exit(1)"' } } } },
      native: { versions: { '1.0.0': { os: ['aix'], cpu: ['ppc64'] } } },
      wants_native: { versions: { '1.0.0': { optionalDependencies: { native: '1.0.0' } } } },
    },
  })
})
afterAll(() => registry.close())

async function install(project: ReturnType<typeof scratch>, args: string[] = ['install']) {
  return tote(args, { ...project, cwd: project.dir, registry: registry.url })
}

/** A `--cloner` module that copies each file, with extra lines when it loads and after each package. */
function copyingCloner(extra: { atLoad?: string[]; afterEach?: string }): string {
  return [
    "import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'",
    "import { dirname, join } from 'node:path'",
    ...(extra.atLoad ?? []),
    'export function createCloner() {',
    '  return { cloneSync(source, destDir) {',
    '    for (const file of source.files) {',
    '      mkdirSync(dirname(join(destDir, file.path)), { recursive: true })',
    '      copyFileSync(join(source.dir, file.path), join(destDir, file.path))',
    '    }',
    ...(extra.afterEach ? [`    ${extra.afterEach}`] : []),
    '  } }',
    '}',
  ].join('\n')
}

describe('tote install', () => {
  it('installs a tree, links bins, writes both lockfiles, and installs again from the warm cache', async () => {
    const project = scratch({ name: 'p', version: '1.0.0', dependencies: { app: '^1.0.0' } })
    const first = await install(project)
    expect(first.stderr).toBe('')
    expect(first).toMatchObject({ code: 0 })
    expect(first.stdout).toMatch(/added 3 packages .*\(3 downloaded\)/)
    expect(readFileSync(join(project.dir, 'node_modules/lib/data.txt'), 'utf8')).toBe(big)
    const bin = join(project.dir, 'node_modules/.bin/tool')
    expect(readlinkSync(bin)).toBe('../tool/cli.js')
    expect(statSync(bin).mode & 0o111).not.toBe(0)
    const hidden = JSON.parse(readFileSync(join(project.dir, 'node_modules/.package-lock.json'), 'utf8'))
    expect(Object.keys(hidden.packages).sort()).toEqual([
      'node_modules/app',
      'node_modules/lib',
      'node_modules/tool',
    ])

    // Same cache, a second project: nothing is downloaded.
    const second = scratch({ name: 'q', version: '1.0.0', dependencies: { app: '^1.0.0' } })
    const again = await tote(['install'], {
      ...second,
      cache: project.cache,
      cwd: second.dir,
      registry: registry.url,
    })
    expect(again.stdout).toMatch(/added 3 packages .*\(0 downloaded\)/)
    expect(readFileSync(join(second.dir, 'node_modules/app/index.js'), 'utf8')).toContain('app')
  })

  it('leaves matching folders alone and removes what the lockfile no longer has', async () => {
    const project = scratch({ dependencies: { app: '^1.0.0' } })
    await install(project)
    const marker = join(project.dir, 'node_modules/lib/marker')
    writeFileSync(marker, 'kept')
    writeFileSync(join(project.dir, 'package.json'), JSON.stringify({ dependencies: { lib: '^1.0.0' } }))
    const result = await install(project)
    expect(result.code).toBe(0)
    expect(readFileSync(marker, 'utf8')).toBe('kept')
    expect(existsSync(join(project.dir, 'node_modules/app'))).toBe(false)
    expect(existsSync(join(project.dir, 'node_modules/tool'))).toBe(false)
  })

  it('fails on an integrity mismatch, exits non-zero and caches nothing', async () => {
    const project = scratch({ dependencies: { lib: '1.0.0' } })
    const locked = await install(project, ['install', '--lockfile-only'])
    expect(locked.code).toBe(0)
    const lockPath = join(project.dir, 'package-lock.json')
    const lock = JSON.parse(readFileSync(lockPath, 'utf8'))
    lock.packages['node_modules/lib'].integrity = registry.integrity('tool', '1.0.0')
    writeFileSync(lockPath, JSON.stringify(lock, null, 2))
    const result = await install(project, ['ci'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('EINTEGRITY')
    expect(result.stderr).toContain(registry.tarballUrl('lib', '1.0.0'))
    expect((await createContentCache({ dir: project.cache }).verify({ remove: false })).entries).toBe(0)
    expect(existsSync(join(project.dir, 'node_modules/lib'))).toBe(false)
  })

  it('never writes outside the package folder, whatever the tarball says', async () => {
    const project = scratch({ dependencies: { hostile: '1.0.0' } })
    const result = await install(project)
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('ETARBADENTRY')
    expect(readFileSync(join(project.dir, 'node_modules/hostile/ok.js'), 'utf8')).toBe('ok')
    const root = join(project.dir, '..')
    const everything = walk(root)
    for (const name of ['abs.js', 'dotdot.js', 'backslash.js', 'drive.js']) {
      expect(everything.filter((path) => path.endsWith(name))).toEqual([])
    }
    const placed = walk(join(project.dir, 'node_modules/hostile'))
    expect(placed.sort()).toEqual(['ok.js', 'package.json'])
  })

  it('retries a truncated download and rejects a corrupted one', async () => {
    const truncated = scratch({ dependencies: { lib: '1.0.0' } })
    registry.fault(registry.tarballPath('lib', '1.0.0'), { truncateAfterBytes: 100, times: 1 })
    try {
      const ok = await install(truncated)
      expect(ok.code).toBe(0)
      expect(readFileSync(join(truncated.dir, 'node_modules/lib/data.txt'), 'utf8')).toBe(big)
    } finally {
      registry.clearFaults()
    }
    const corrupted = scratch({ dependencies: { lib: '1.0.0' } })
    registry.fault(registry.tarballPath('lib', '1.0.0'), { corrupt: true })
    try {
      const bad = await install(corrupted)
      expect(bad.code).toBe(1)
      expect(bad.stderr).toContain('EINTEGRITY')
    } finally {
      registry.clearFaults()
    }
  })

  it('refuses bin names that escape .bin, and links the rest', async () => {
    const project = scratch({ dependencies: { escaper: '1.0.0' } })
    expect((await install(project, ['install', '--lockfile-only'])).code).toBe(0)
    // The registry client normalises bin names as npm does; a crafted lockfile still gets past that.
    const lockPath = join(project.dir, 'package-lock.json')
    const lock = JSON.parse(readFileSync(lockPath, 'utf8'))
    lock.packages['node_modules/escaper'].bin = { '../../evil': 'cli.js', ok: 'cli.js', '..': 'cli.js' }
    writeFileSync(lockPath, JSON.stringify(lock, null, 2))
    const result = await install(project, ['ci'])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('EBINNAME')
    expect(lstatSync(join(project.dir, 'node_modules/.bin/ok')).isSymbolicLink()).toBe(true)
    expect(walk(join(project.dir, 'node_modules/.bin'))).toEqual(['ok'])
    expect(walk(join(project.dir, '..')).filter((path) => path.endsWith('evil'))).toEqual([])
  })

  it('skips optional packages for another platform, says which packages have install scripts, and links those whose scripts do not run from the cache', async () => {
    const project = scratch({ dependencies: { wants_native: '1.0.0', scripted: '1.0.0' } })
    const result = await install(project)
    expect(result.code).toBe(0)
    expect(existsSync(join(project.dir, 'node_modules/native'))).toBe(false)
    expect(existsSync(join(project.dir, 'node_modules/wants_native'))).toBe(true)
    expect(result.stderr).toContain('ESCRIPTSSKIPPED')
    expect(result.stderr).toContain('scripted@1.0.0')
    // Its scripts did not run (not approved): its files are linked from the cache like any other's
    // (an install that runs them gives it files of its own first: see scripts.test.ts).
    expect(statSync(join(project.dir, 'node_modules/scripted/package.json')).nlink).toBeGreaterThan(1)

    // With scripts off nothing runs them in this install: the same package is linked from the cache
    // too, and nothing is named.
    const ignoring = scratch({ dependencies: { scripted: '1.0.0' } })
    const quiet = await install(ignoring, ['install', '--ignore-scripts'])
    expect(quiet.code).toBe(0)
    expect(quiet.stderr).not.toContain('ESCRIPTSSKIPPED')
    expect(statSync(join(ignoring.dir, 'node_modules/scripted/package.json')).nlink).toBeGreaterThan(1)
    const lock = JSON.parse(readFileSync(join(project.dir, 'package-lock.json'), 'utf8'))
    expect(lock.packages['node_modules/native']).toMatchObject({
      optional: true,
      os: ['aix'],
      cpu: ['ppc64'],
    })
  })

  it('omits dev dependencies with --omit dev', async () => {
    const project = scratch({ dependencies: { lib: '1.0.0' }, devDependencies: { tool: '1.0.0' } })
    const result = await install(project, ['install', '--omit', 'dev'])
    expect(result.code).toBe(0)
    expect(existsSync(join(project.dir, 'node_modules/lib'))).toBe(true)
    expect(existsSync(join(project.dir, 'node_modules/tool'))).toBe(false)
  })

  it('installs the same tree when two installs share one cache at the same time', async () => {
    const a = scratch({ dependencies: { app: '1.0.0' } })
    const b = scratch({ dependencies: { app: '1.0.0' } })
    const [ra, rb] = await Promise.all([
      install(a),
      tote(['install'], { ...b, cache: a.cache, cwd: b.dir, registry: registry.url }),
    ])
    expect(ra.code).toBe(0)
    expect(rb.code).toBe(0)
    for (const project of [a, b]) {
      expect(readFileSync(join(project.dir, 'node_modules/lib/data.txt'), 'utf8')).toBe(big)
    }
  })

  it('recovers after being killed (kill -9) in the middle of an install', async () => {
    const project = scratch({ dependencies: { app: '1.0.0' } })
    // A slow tarball keeps the first run busy until it is killed.
    registry.fault(registry.tarballPath('lib', '1.0.0'), { delayMs: 5000, times: 1 })
    const bin = new URL('../bin/tote.js', import.meta.url).pathname
    const child = spawn(process.execPath, [bin, 'install'], {
      cwd: project.dir,
      env: {
        ...process.env,
        HOME: project.home,
        TOTE_CACHE_DIR: project.cache,
        npm_config_registry: registry.url,
      },
      stdio: 'ignore',
    })
    await new Promise((resolve) => setTimeout(resolve, 1500))
    child.kill('SIGKILL')
    await new Promise((resolve) => child.on('exit', resolve))
    registry.clearFaults()
    const result = await install(project)
    expect(result.code).toBe(0)
    expect(readFileSync(join(project.dir, 'node_modules/lib/data.txt'), 'utf8')).toBe(big)
    expect(readFileSync(join(project.dir, 'node_modules/app/index.js'), 'utf8')).toContain('app')
  })
})

describe('tote install: stages and traces', () => {
  it('writes a Chrome trace of every job with --trace', async () => {
    const project = scratch({ dependencies: { app: '1.0.0' } })
    const tracePath = join(project.dir, '..', 'trace.json')
    const result = await install(project, ['install', '--trace', tracePath, '--verbose'])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain(`trace written to ${tracePath}`)
    // the --verbose summary: time per stage, then the chain that decided the end
    expect(result.stderr).toMatch(/unpack +\d+ jobs, busy/)
    expect(result.stderr).toMatch(/critical path:\n(.*\n)*.*last job to finish: (unpack|clone) /)
    const trace = JSON.parse(readFileSync(tracePath, 'utf8'))
    const spans = trace.traceEvents.filter((event: { ph: string }) => event.ph === 'X')
    const categories = new Set(spans.map((event: { cat: string }) => event.cat))
    for (const category of ['phase', 'http packument', 'download', 'unpack'])
      expect(categories).toContain(category)
    for (const span of spans) {
      expect(span).toMatchObject({ ts: expect.any(Number), dur: expect.any(Number), pid: expect.any(Number) })
      expect(span.dur).toBeGreaterThan(0)
    }
  })

  it('swaps the cloner for a module named with --cloner, and runs on the main thread with --workers 0', async () => {
    const project = scratch({ dependencies: { lib: '1.0.0' } })
    const cloner = join(project.dir, 'my-cloner.mjs')
    writeFileSync(cloner, copyingCloner({ afterEach: "writeFileSync(join(destDir, '.cloned-by'), 'mine')" }))
    const result = await install(project, ['install', '--cloner', './my-cloner.mjs', '--workers', '0'])
    expect(result.code).toBe(0)
    expect(readFileSync(join(project.dir, 'node_modules/lib/.cloned-by'), 'utf8')).toBe('mine')
    const bad = await install(project, ['ci', '--workers', 'many'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--workers')
  })
})

describe('the tote command', () => {
  it.runIf(process.platform === 'linux')(
    "starts Node with glibc's malloc tunables and gives the code it runs the user's environment back",
    async () => {
      const project = scratch({ dependencies: { lib: '1.0.0' } })
      // The `node` the launcher finds first on PATH notes the GLIBC_TUNABLES it was started with
      // (glibc rewrites the variable in the started process), then runs this Node.
      const fakeNodeDir = join(project.home, 'fake-node')
      mkdirSync(fakeNodeDir)
      writeFileSync(
        join(fakeNodeDir, 'node'),
        `#!/bin/sh\nprintf '%s' "\${GLIBC_TUNABLES-unset}" > started.txt\nexec '${process.execPath}' "$@"\n`,
        { mode: 0o755 },
      )
      // A cloner module runs inside the CLI's process: it notes the environment the install's code sees.
      writeFileSync(
        join(project.dir, 'env-probe.mjs'),
        copyingCloner({
          atLoad: [
            "const { GLIBC_TUNABLES = 'unset', TOTE_SET_GLIBC_TUNABLES = 'unset' } = process.env",
            "writeFileSync('seen.json', JSON.stringify({ GLIBC_TUNABLES, TOTE_SET_GLIBC_TUNABLES }))",
          ],
        }),
      )
      const run = async (extra: Record<string, string>) => {
        // Nothing to clone in an installed project: the probe would not load.
        rmSync(join(project.dir, 'node_modules'), { recursive: true, force: true })
        const env = { PATH: `${fakeNodeDir}${delimiter}${pathWithThisNode()}`, ...extra }
        const args = ['install', '--cloner', './env-probe.mjs', '--workers', '0']
        const result = await tote(args, { ...project, cwd: project.dir, registry: registry.url, env })
        expect(result).toMatchObject({ code: 0, stderr: '' })
        return {
          started: readFileSync(join(project.dir, 'started.txt'), 'utf8'),
          seen: JSON.parse(readFileSync(join(project.dir, 'seen.json'), 'utf8')),
        }
      }
      const tunables =
        'glibc.malloc.hugetlb=1:glibc.malloc.trim_threshold=1073741824:glibc.malloc.mmap_threshold=33554432:glibc.malloc.top_pad=67108864'

      expect(await run({})).toEqual({
        started: tunables,
        seen: { GLIBC_TUNABLES: 'unset', TOTE_SET_GLIBC_TUNABLES: 'unset' },
      })
      // The user's own tunables come last, so they win, and are what the install's code sees.
      expect(await run({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' })).toEqual({
        started: `${tunables}:glibc.malloc.hugetlb=0`,
        seen: { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0', TOTE_SET_GLIBC_TUNABLES: 'unset' },
      })
      expect(await run({ TOTE_HUGE_PAGES: '0' })).toEqual({
        started: 'unset',
        seen: { GLIBC_TUNABLES: 'unset', TOTE_SET_GLIBC_TUNABLES: 'unset' },
      })
    },
  )

  it.runIf(process.platform !== 'win32')(
    'starts Node without NODE_EXTRA_CA_CERTS (its registry client reads the file) and gives it back to the code it runs',
    async () => {
      const project = scratch({ dependencies: { lib: '1.0.0' } })
      const fakeNodeDir = join(project.home, 'fake-node')
      mkdirSync(fakeNodeDir)
      writeFileSync(
        join(fakeNodeDir, 'node'),
        `#!/bin/sh\nprintf '%s' "\${NODE_EXTRA_CA_CERTS-unset}" > started.txt\nexec '${process.execPath}' "$@"\n`,
        { mode: 0o755 },
      )
      writeFileSync(
        join(project.dir, 'env-probe.mjs'),
        copyingCloner({
          atLoad: [
            "const { NODE_EXTRA_CA_CERTS = 'unset', TOTE_EXTRA_CA_CERTS = 'unset' } = process.env",
            "writeFileSync('seen.json', JSON.stringify({ NODE_EXTRA_CA_CERTS, TOTE_EXTRA_CA_CERTS }))",
          ],
        }),
      )
      const certificates = join(project.home, 'extra-ca.pem')
      writeFileSync(certificates, '')
      const env = {
        PATH: `${fakeNodeDir}${delimiter}${pathWithThisNode()}`,
        NODE_EXTRA_CA_CERTS: certificates,
      }
      const args = ['install', '--cloner', './env-probe.mjs', '--workers', '0']
      const result = await tote(args, { ...project, cwd: project.dir, registry: registry.url, env })
      expect(result).toMatchObject({ code: 0, stderr: '' })
      expect(readFileSync(join(project.dir, 'started.txt'), 'utf8')).toBe('unset')
      expect(JSON.parse(readFileSync(join(project.dir, 'seen.json'), 'utf8'))).toEqual({
        NODE_EXTRA_CA_CERTS: certificates,
        TOTE_EXTRA_CA_CERTS: 'unset',
      })
    },
  )
})

describe('tote ci', () => {
  it('fails clearly when the lockfile does not match package.json, and changes nothing', async () => {
    const project = scratch({ dependencies: { lib: '1.0.0' } })
    await install(project, ['install', '--lockfile-only'])
    writeFileSync(
      join(project.dir, 'package.json'),
      JSON.stringify({ dependencies: { lib: '1.0.0', tool: '1.0.0' } }),
    )
    const result = await install(project, ['ci'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('ELOCKOUTOFSYNC')
    expect(result.stderr).toContain('tool')
    expect(existsSync(join(project.dir, 'node_modules'))).toBe(false)
  })

  it('fails clearly without a lockfile', async () => {
    const project = scratch({ dependencies: { lib: '1.0.0' } })
    const result = await install(project, ['ci'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('ENOLOCK')
  })

  it('starts from an empty node_modules', async () => {
    const project = scratch({ dependencies: { lib: '1.0.0' } })
    await install(project)
    writeFileSync(join(project.dir, 'node_modules/stray.txt'), 'x')
    const result = await install(project, ['ci'])
    expect(result.code).toBe(0)
    expect(existsSync(join(project.dir, 'node_modules/stray.txt'))).toBe(false)
    expect(readFileSync(join(project.dir, 'node_modules/lib/index.js'), 'utf8')).toContain('lib')
  })
})
