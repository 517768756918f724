import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { globMatch, readWorkspaces, workspacePatterns } from '../src/index.js'

/** A project folder: path → package.json object (or a string, written as is). */
function project(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tote-workspaces-'))
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), typeof content === 'string' ? content : JSON.stringify(content))
  }
  return dir
}

async function found(dir: string, workspaces: unknown): Promise<string[]> {
  return (await readWorkspaces(dir, { workspaces })).map((w) => `${w.path} ${w.manifest.name ?? '-'}`)
}

describe('readWorkspaces', () => {
  it('finds the folders the patterns name that hold a package.json, in npm’s order', async () => {
    const dir = project({
      'packages/b/package.json': { name: 'b' },
      'packages/a/package.json': { name: 'a' },
      'packages/A2/package.json': { name: 'a2' },
      'packages/empty/README.md': '',
      'packages/.hidden/package.json': { name: 'hidden' },
      'packages/a/node_modules/x/package.json': { name: 'x' },
      'tools/cli/package.json': { name: 'cli' },
      'tools/other/package.json': { name: 'other' },
    })
    // the patterns' order, each one's folders by en collation (a before A2 before b)
    expect(await found(dir, ['tools/cli', 'packages/*'])).toEqual([
      'tools/cli cli',
      'packages/a a',
      'packages/A2 a2',
      'packages/b b',
    ])
    expect(await found(dir, { packages: ['./packages/*/', '!packages/b'] })).toEqual([
      'packages/a a',
      'packages/A2 a2',
    ])
    // ** reaches every depth but node_modules and hidden folders
    expect(await found(dir, ['**'])).toEqual([
      'packages/a a',
      'packages/A2 a2',
      'packages/b b',
      'tools/cli cli',
      'tools/other other',
    ])
    expect(await found(dir, ['tools/{cli,none}', 'packages/[ab]'])).toEqual([
      'tools/cli cli',
      'packages/a a',
      'packages/b b',
    ])
  })

  it('a later pattern takes back an earlier negation, as npm’s', async () => {
    const dir = project({ 'p/a/package.json': { name: 'a' }, 'p/b/package.json': { name: 'b' } })
    expect(await found(dir, ['p/*', '!p/b', 'p/b'])).toEqual(['p/a a', 'p/b b'])
    expect(workspacePatterns(['p/*', '!p/b', 'p/b'])).toEqual({ patterns: ['p/*', 'p/b'], negated: [] })
  })

  it('follows a link to a folder that a pattern names', async () => {
    const dir = project({ 'real/x/package.json': { name: 'x' }, 'packages/README.md': '' })
    symlinkSync(join(dir, 'real/x'), join(dir, 'packages/x'))
    expect(await found(dir, ['packages/*'])).toEqual(['packages/x x'])
  })

  it('names a workspace without a name after its folder', async () => {
    const dir = project({ 'packages/@s/util/package.json': { version: '1.0.0' } })
    const [workspace] = await readWorkspaces(dir, { workspaces: ['packages/@s/*'] })
    expect(workspace?.path).toBe('packages/@s/util')
  })

  it('two folders with one package name: EDUPLICATEWORKSPACE naming both', async () => {
    const dir = project({ 'a/package.json': { name: 'same' }, 'b/package.json': { name: 'same' } })
    await expect(readWorkspaces(dir, { workspaces: ['*'] })).rejects.toMatchObject({
      code: 'EDUPLICATEWORKSPACE',
      details: { duplicates: { same: ['a', 'b'] } },
    })
  })

  it('workspaces that are not a list of patterns: EWORKSPACESCONFIG', async () => {
    const dir = project({})
    await expect(readWorkspaces(dir, { workspaces: 'packages/*' })).rejects.toMatchObject({
      code: 'EWORKSPACESCONFIG',
    })
    await expect(readWorkspaces(dir, { workspaces: { packages: [1] } })).rejects.toMatchObject({
      code: 'EWORKSPACESCONFIG',
    })
    expect(await readWorkspaces(dir, {})).toEqual([])
  })

  it('a workspace’s invalid package.json is its error, naming the file', async () => {
    const dir = project({ 'w/a/package.json': '{ "name": ' })
    await expect(readWorkspaces(dir, { workspaces: ['w/*'] })).rejects.toMatchObject({ code: 'EJSONPARSE' })
  })
})

describe('globMatch', () => {
  it('matches as minimatch does for workspace patterns', () => {
    expect(globMatch('packages/a', 'packages/*')).toBe(true)
    expect(globMatch('packages/.a', 'packages/*')).toBe(false)
    expect(globMatch('packages/.a', 'packages/.*')).toBe(true)
    expect(globMatch('packages/a/b', 'packages/*')).toBe(false)
    expect(globMatch('a/b/c/d', 'a/**/d')).toBe(true)
    expect(globMatch('a/d', 'a/**/d')).toBe(true)
    expect(globMatch('apps/web', '{apps,tools}/*')).toBe(true)
    expect(globMatch('packages/b2', 'packages/[!a]*')).toBe(true)
    expect(globMatch('packages/a1', 'packages/[!a]*')).toBe(false)
    expect(globMatch('packages/a1', 'packages/a?')).toBe(true)
  })
})
