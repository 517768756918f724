import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { scratch, tote } from './_tote.js'

// `tote run` with npm's -w / --workspaces / --include-workspace-root: the script in each chosen
// workspace's folder, in order, with that workspace's npm_package_* (npm 11 does the same; its
// output for these commands was compared by hand).

function monorepo() {
  const project = scratch({
    name: 'root',
    version: '1.0.0',
    workspaces: ['packages/*'],
    scripts: { hi: 'echo root-hi' },
  })
  const workspace = (name: string, manifest: unknown) => {
    mkdirSync(join(project.dir, 'packages', name), { recursive: true })
    writeFileSync(join(project.dir, 'packages', name, 'package.json'), JSON.stringify(manifest))
  }
  workspace('a', {
    name: 'a',
    version: '1.0.0',
    scripts: { prehi: 'echo pre-a', hi: 'echo "a-hi $npm_package_name $(basename "$PWD")"' },
  })
  workspace('b', { name: 'b', version: '2.0.0', scripts: { other: 'true' } })
  workspace('c', { name: 'c', version: '3.0.0', scripts: { hi: 'exit 7' } })
  const run = (...args: string[]) => tote(['run', ...args], { ...project, cwd: project.dir })
  return { project, run }
}

describe('tote run in workspaces', () => {
  it('-w <name> runs the workspace’s script, with its pre script, in its folder', async () => {
    const { run } = monorepo()
    const result = await run('hi', '-w', 'a')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('pre-a\n')
    expect(result.stdout).toContain('a-hi a a\n')
    expect(result.stdout).not.toContain('root-hi')
  })

  it('--workspaces runs every workspace in order; a missing script and a failing one fail the run, the others still run', async () => {
    const { run } = monorepo()
    const result = await run('hi', '--workspaces')
    expect(result.stdout).toContain('a-hi a a\n')
    expect(result.stderr).toContain(
      'tote error EMISSINGSCRIPT: workspace b@2.0.0 (packages/b): Missing script: "hi"',
    )
    // c ran after b's error, and its exit code is not the run's: b's error came first
    expect(result.stdout).toContain('> c@3.0.0 hi')
    expect(result.code).toBe(1)
  })

  it('--if-present skips workspaces without it; --include-workspace-root runs the project’s own first', async () => {
    const { run } = monorepo()
    const result = await run('hi', '-w', 'a', '-w', 'packages/b', '--if-present', '--include-workspace-root')
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
    expect(result.stdout.indexOf('root-hi')).toBeGreaterThanOrEqual(0)
    expect(result.stdout.indexOf('root-hi')).toBeLessThan(result.stdout.indexOf('a-hi a a'))
  })

  it('a failing script gives its exit code; an unknown workspace is ENOWORKSPACE', async () => {
    const { run } = monorepo()
    expect((await run('hi', '-w', 'c')).code).toBe(7)
    const unknown = await run('hi', '-w', 'nope')
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('tote error ENOWORKSPACE: No workspaces found: --workspace=nope')
  })

  it('without a script name, lists the workspace’s scripts', async () => {
    const { run } = monorepo()
    const result = await run('-w', 'a')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Scripts available in a@1.0.0 via `tote run`:')
  })
})

describe('tote exec in workspaces', () => {
  it("-w and --workspaces run the bin in each workspace's folder, its own bins first, then the project's", async () => {
    const { project } = monorepo()
    const bin = (folder: string, name: string, text: string) => {
      const dir = join(project.dir, folder, 'node_modules', '.bin')
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, name), `#!/bin/sh\necho "${text} $(basename "$PWD")"\n`)
      chmodSync(join(dir, name), 0o755)
    }
    bin('.', 'where', 'root-bin')
    bin('packages/a', 'where', 'a-bin')
    const exec = (...args: string[]) => tote(['exec', ...args], { ...project, cwd: project.dir })
    const one = await exec('-w', 'a', '--', 'where')
    expect(one.code).toBe(0)
    expect(one.stdout).toBe('a-bin a\n')
    const all = await exec('--workspaces', '--', 'where')
    expect(all.code).toBe(0)
    expect(all.stdout).toBe('a-bin a\nroot-bin b\nroot-bin c\n')
    const missing = await exec('-w', 'b', '--', 'nowhere')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('tote error ENOBIN: No bin named "nowhere"')
  })
})
