import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isToteError } from '@tote/types'
import { describe, expect, it } from 'vitest'
import { parseTrust } from '../src/_args.js'
import { pmCommand } from '../src/_commands.js'
import { checkTrusted, nodeHeadersPrefix, trustProblem, writeApproval } from '../src/_trust.js'
import type { PmName } from '../src/types.js'

const fixtureManifest = `{
  "name": "fixture",
  "version": "1.0.0",
  "dependencies": {
    "react": "^19.2.8"
  },
  "devDependencies": {
    "vite": "^8.2.1"
  }
}
`

function project(manifest = fixtureManifest): string {
  const dir = mkdtempSync(join(tmpdir(), 'pm-bench-trust-'))
  writeFileSync(join(dir, 'package.json'), manifest)
  return dir
}

const readManifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))

describe('--trust on the command line', () => {
  it('takes names, each with an optional range, comma-separated or repeated', () => {
    expect(parseTrust(['bcrypt@^5.1.1,@scope/addon', 'sharp'])).toEqual([
      { name: 'bcrypt', range: '^5.1.1' },
      { name: '@scope/addon', range: undefined },
      { name: 'sharp', range: undefined },
    ])
    expect(parseTrust([])).toEqual([])
  })

  it('refuses what is not a package name, and a name given twice', () => {
    for (const bad of [['--ignore-scripts'], ['bcrypt;rm'], ['bcrypt', 'bcrypt@5']]) {
      let error: unknown
      try {
        parseTrust(bad)
      } catch (caught) {
        error = caught
      }
      expect(isToteError(error) && error.code).toBe('EUSAGE')
    }
  })
})

describe("each package manager's approval, written into the run's project", () => {
  const trust = [{ name: 'bcrypt', range: '^5.1.1' }]

  it('npm and tote: package.json allowScripts, the dependency added to dependencies', () => {
    for (const pm of ['npm', 'tote'] as const) {
      const dir = project()
      expect(writeApproval(pm, dir, trust)).toEqual(['package.json'])
      const manifest = readManifest(dir)
      expect(manifest.allowScripts).toEqual({ bcrypt: true })
      expect(manifest.dependencies).toEqual({ react: '^19.2.8', bcrypt: '^5.1.1' })
      expect(manifest.devDependencies).toEqual({ vite: '^8.2.1' })
      expect(manifest.trustedDependencies).toBeUndefined()
      expect(existsSync(join(dir, 'pnpm-workspace.yaml'))).toBe(false)
    }
  })

  it('bun: package.json trustedDependencies, and no allowScripts', () => {
    const dir = project()
    writeApproval('bun', dir, trust)
    const manifest = readManifest(dir)
    expect(manifest.trustedDependencies).toEqual(['bcrypt'])
    expect(manifest.allowScripts).toBeUndefined()
    expect(manifest.dependencies.bcrypt).toBe('^5.1.1')
  })

  it('pnpm: allowBuilds in a pnpm-workspace.yaml of the project, package.json without approvals', () => {
    const dir = project()
    expect(writeApproval('pnpm', dir, [...trust, { name: '@scope/addon', range: undefined }])).toEqual([
      'package.json',
      'pnpm-workspace.yaml',
    ])
    expect(readFileSync(join(dir, 'pnpm-workspace.yaml'), 'utf8')).toBe(
      'allowBuilds:\n  "bcrypt": true\n  "@scope/addon": true\n',
    )
    const manifest = readManifest(dir)
    expect(manifest.allowScripts).toBeUndefined()
    expect(manifest.trustedDependencies).toBeUndefined()
    // Only a name with a range is added; @scope/addon must come from the fixture's tree.
    expect(manifest.dependencies).toEqual({ react: '^19.2.8', bcrypt: '^5.1.1' })
  })

  it("keeps the fixture's own range of a trusted dependency, and its existing approvals", () => {
    const dir = project(
      JSON.stringify({
        name: 'fixture',
        devDependencies: { bcrypt: '5.1.0' },
        allowScripts: { esbuild: false },
        trustedDependencies: ['esbuild'],
      }),
    )
    writeApproval('npm', dir, trust)
    expect(readManifest(dir)).toEqual({
      name: 'fixture',
      devDependencies: { bcrypt: '5.1.0' },
      allowScripts: { esbuild: false, bcrypt: true },
      trustedDependencies: ['esbuild'],
    })
    writeApproval('bun', dir, trust)
    expect(readManifest(dir).trustedDependencies).toEqual(['esbuild', 'bcrypt'])
  })

  it('writes nothing without --trust', () => {
    const dir = project()
    expect(writeApproval('npm', dir, [])).toEqual([])
    expect(readFileSync(join(dir, 'package.json'), 'utf8')).toBe(fixtureManifest)
  })
})

describe('command lines with --trust', () => {
  const registry = 'http://127.0.0.1:4873/'
  const cacheDir = '/runs/7/cache'
  const line = (pm: PmName, scripts?: { nodedir: string | undefined }) =>
    pmCommand({ key: pm, pm }, 'p4_warm_link', {
      tool: { command: `/tools/${pm}`, args: [], env: {} },
      registry,
      cacheDir,
      toteFrozenCommand: 'ci',
      scripts,
    })

  it('drop --ignore-scripts for every package manager and give node-gyp the headers through npm_config_nodedir', () => {
    for (const pm of ['tote', 'npm', 'pnpm', 'bun'] as const) {
      expect(line(pm).args).toContain('--ignore-scripts')
      const trusted = line(pm, { nodedir: '/opt/node' })
      expect(trusted.args).not.toContain('--ignore-scripts')
      // nothing added: the approvals are in the project's files
      expect(trusted.args.filter((arg) => !line(pm).args.includes(arg))).toEqual([])
      expect(trusted.env.npm_config_nodedir).toBe('/opt/node')
    }
    // pnpm reads allowBuilds from the project's pnpm-workspace.yaml, which --ignore-workspace ignores.
    expect(line('pnpm').args).toContain('--ignore-workspace')
    expect(line('pnpm', { nodedir: undefined }).args).not.toContain('--ignore-workspace')
    expect(line('npm', { nodedir: undefined }).env.npm_config_nodedir).toBeUndefined()
  })
})

describe("Node's headers for node-gyp", () => {
  it('are the prefix of the running Node when <prefix>/include/node/node.h exists', () => {
    const prefix = mkdtempSync(join(tmpdir(), 'pm-bench-node-'))
    mkdirSync(join(prefix, 'bin'))
    expect(nodeHeadersPrefix(join(prefix, 'bin', 'node'))).toBeUndefined()
    mkdirSync(join(prefix, 'include', 'node'), { recursive: true })
    writeFileSync(join(prefix, 'include', 'node', 'node.h'), '')
    expect(nodeHeadersPrefix(join(prefix, 'bin', 'node'))).toBe(prefix)
  })
})

describe('the check of a trusted dependency after an install', () => {
  function installed(files: Record<string, string>): string {
    const dir = project()
    const packageDir = join(dir, 'node_modules', 'addon')
    for (const [path, text] of Object.entries({ 'package.json': '{"name":"addon"}', ...files })) {
      mkdirSync(join(packageDir, path, '..'), { recursive: true })
      writeFileSync(join(packageDir, path), text)
    }
    return dir
  }

  it('passes a native package that loads and holds its built .node file', () => {
    const dir = installed({
      'binding.gyp': '{}',
      'index.js': 'module.exports = 1',
      'build/Release/addon.node': 'not really an addon',
    })
    const checks = checkTrusted(dir, ['addon'])
    expect(checks).toEqual([{ name: 'addon', loads: true, nativeFiles: 1, hasBindingGyp: true }])
    expect(trustProblem(checks)).toBeUndefined()
  })

  it('fails a native package whose build did not run, even when it loads', () => {
    const dir = installed({ 'binding.gyp': '{}', 'index.js': 'module.exports = 1' })
    expect(trustProblem(checkTrusted(dir, ['addon']))).toBe('addon was not built (no .node file)')
  })

  it('fails a package that does not load, with the error, and one that is not installed', () => {
    const dir = installed({ 'index.js': "throw new Error('Cannot find module bcrypt_lib.node')" })
    const [check] = checkTrusted(dir, ['addon'])
    expect(check).toMatchObject({ loads: false, nativeFiles: 0 })
    expect(trustProblem([check!])).toBe('addon does not load (Error: Cannot find module bcrypt_lib.node)')
    expect(trustProblem(checkTrusted(dir, ['missing']))).toBe('missing does not load (not installed)')
  })
})
