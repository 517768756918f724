import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readProjectManifest } from '../src/index.js'

function project(packageJson?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tote-project-'))
  if (packageJson !== undefined) writeFileSync(join(dir, 'package.json'), packageJson)
  return dir
}

describe('readProjectManifest', () => {
  it('reads the manifest and its layout', async () => {
    const dir = project('{\n\t"name": "x",\n\t"dependencies": { "a": "^1.0.0" }\n}\n')
    const result = await readProjectManifest(dir)
    expect(result.manifest).toEqual({ name: 'x', dependencies: { a: '^1.0.0' } })
    expect(result.format).toEqual({ indent: '\t', newline: '\n' })
    expect(result.path).toBe(join(dir, 'package.json'))
  })

  it('says there is no package.json', async () => {
    const dir = project()
    await expect(readProjectManifest(dir)).rejects.toMatchObject({
      code: 'ENOPACKAGEJSON',
      hint: expect.stringContaining('npm init'),
    })
  })

  it('points at the line and column of invalid JSON', async () => {
    const dir = project('{\n  "name": "x",\n  "dependencies": { "a": "^1.0.0", }\n}\n')
    const error = await readProjectManifest(dir).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'EJSONPARSE', details: { line: 3, column: 36 } })
    expect((error as Error).message).toContain(`${join(dir, 'package.json')}:3:36`)
  })

  it('rejects JSON that is not an object', async () => {
    const dir = project('[1, 2]')
    await expect(readProjectManifest(dir)).rejects.toMatchObject({ code: 'EJSONPARSE' })
  })

  it.each([
    ['{"dependencies": {"ms": 2}}', 'dependencies["ms"] must be a string', 'Quote it'],
    ['{"devDependencies": ["ms"]}', 'devDependencies must be an object', 'Write "devDependencies"'],
    ['{"dependencies": {"../../x": "npm:ms@1"}}', 'dependencies["../../x"] is not a package name', 'alias'],
    ['{"optionalDependencies": {".bin": "1.0.0"}}', 'is not a package name', 'alias'],
  ])('refuses a malformed dependency entry, naming the field: %s', async (text, message, hint) => {
    const dir = project(text)
    const error = await readProjectManifest(dir).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'EPACKAGEJSON', hint: expect.stringContaining(hint) })
    expect((error as Error).message).toContain(message)
  })
})
