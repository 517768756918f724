import { createHash } from 'node:crypto'
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scratch, tote } from './_tote.js'

// An install that changes an existing node_modules must leave the tree npm would: nothing it
// counted as unchanged may be lost, and after an interrupted run nothing it touched is trusted.

let registry: TestRegistry

const files = (name: string, version: string) => ({
  'index.js': `module.exports = ${JSON.stringify(`${name}@${version}`)}\n`,
})

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: {
      // parent 1.x keeps child@1 nested (the project wants child@2 at the top).
      parent: {
        versions: {
          '1.0.0': { dependencies: { child: '1.0.0' }, files: files('parent', '1.0.0') },
          '1.1.0': { dependencies: { child: '1.0.0' }, files: files('parent', '1.1.0') },
        },
      },
      child: {
        versions: {
          '1.0.0': { files: files('child', '1.0.0') },
          '2.0.0': { files: files('child', '2.0.0') },
        },
      },
      ...Object.fromEntries(
        ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => [
          name,
          {
            versions: { '1.0.0': { files: files(name, '1.0.0') }, '2.0.0': { files: files(name, '2.0.0') } },
          },
        ]),
      ),
    },
  })
})
afterAll(() => registry.close())

type Project = ReturnType<typeof scratch>

function run(project: Project, args: string[] = ['install']) {
  return tote(args, { ...project, cwd: project.dir, registry: registry.url })
}

/** Every file and link under node_modules with its content hash, but tote's own records. */
function treeOf(dir: string, prefix = ''): Record<string, string> {
  const tree: Record<string, string> = {}
  if (!existsSync(dir)) return tree
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = prefix + entry.name
    if (prefix === '' && entry.name.startsWith('.') && entry.name !== '.bin') continue
    const full = join(dir, entry.name)
    if (entry.isDirectory()) Object.assign(tree, treeOf(full, `${path}/`))
    else if (entry.isSymbolicLink()) tree[path] = `-> ${readlinkSync(full)}`
    else tree[path] = createHash('sha1').update(readFileSync(full)).digest('hex')
  }
  return tree
}

function setDependencies(project: Project, dependencies: Record<string, string>) {
  writeFileSync(
    join(project.dir, 'package.json'),
    `${JSON.stringify({ name: 'p', dependencies }, null, 2)}\n`,
  )
}

describe('an install over an existing node_modules', () => {
  it('keeps a nested package whose entry did not change when its parent is replaced', async () => {
    const project = scratch()
    setDependencies(project, { parent: '1.0.0', child: '2.0.0' })
    expect((await run(project)).code).toBe(0)
    expect(
      readFileSync(join(project.dir, 'node_modules/parent/node_modules/child/index.js'), 'utf8'),
    ).toContain('child@1.0.0')
    setDependencies(project, { parent: '1.1.0', child: '2.0.0' })
    const upgrade = await run(project)
    expect(upgrade.code).toBe(0)

    const clean = scratch()
    setDependencies(clean, { parent: '1.1.0', child: '2.0.0' })
    expect((await run(clean)).code).toBe(0)
    expect(treeOf(join(project.dir, 'node_modules'))).toEqual(treeOf(join(clean.dir, 'node_modules')))
    expect(treeOf(join(project.dir, 'node_modules'))).toHaveProperty(['parent/node_modules/child/index.js'])
  })

  it('re-checks what an interrupted upgrade touched, even when the next install goes back', async () => {
    const before = { a: '1.0.0', b: '1.0.0', c: '1.0.0', d: '1.0.0', e: '1.0.0', f: '1.0.0' }
    const project = scratch()
    setDependencies(project, before)
    expect((await run(project)).code).toBe(0)
    const original = treeOf(join(project.dir, 'node_modules'))
    const lockBefore = readFileSync(join(project.dir, 'package-lock.json'), 'utf8')

    // The upgrade dies (kill -9) in the middle of its third package: the cloner copies one file,
    // then kills the process.
    writeFileSync(
      join(project.dir, '..', 'dying-cloner.mjs'),
      [
        "import { copyFileSync, mkdirSync } from 'node:fs'",
        "import { dirname, join } from 'node:path'",
        'let placed = 0',
        'export function createCloner() {',
        '  return { cloneSync(source, destDir) {',
        '    for (const file of source.files) {',
        '      mkdirSync(dirname(join(destDir, file.path)), { recursive: true })',
        '      copyFileSync(join(source.dir, file.path), join(destDir, file.path))',
        "      if (placed === 2) process.kill(process.pid, 'SIGKILL')",
        '    }',
        '    placed++',
        '  } }',
        '}',
      ].join('\n'),
    )
    setDependencies(project, { a: '2.0.0', b: '2.0.0', c: '2.0.0', d: '2.0.0', e: '2.0.0', f: '2.0.0' })
    const killed = await run(project, ['install', '--cloner', '../dying-cloner.mjs', '--workers', '0'])
    expect(killed.code).not.toBe(0)
    expect(treeOf(join(project.dir, 'node_modules'))).not.toEqual(original)

    // The user goes back (git checkout package.json package-lock.json) and installs again.
    setDependencies(project, before)
    writeFileSync(join(project.dir, 'package-lock.json'), lockBefore)
    const again = await run(project)
    expect(again.code).toBe(0)
    expect(treeOf(join(project.dir, 'node_modules'))).toEqual(original)
  })

  it('removes the hidden lockfile when nothing is left installed', async () => {
    const project = scratch()
    setDependencies(project, { a: '1.0.0' })
    expect((await run(project)).code).toBe(0)
    setDependencies(project, {})
    expect((await run(project)).code).toBe(0)
    expect(existsSync(join(project.dir, 'node_modules/a'))).toBe(false)
    setDependencies(project, { a: '1.0.0' })
    writeFileSync(join(project.dir, 'node_modules/a'), 'a file where the folder was')
    const again = await run(project)
    expect(again.code).toBe(0)
    expect(lstatSync(join(project.dir, 'node_modules/a')).isDirectory()).toBe(true)
  })
})
