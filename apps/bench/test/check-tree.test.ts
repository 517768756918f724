import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { checkTree } from '../src/check-tree.js'

function pkg(dir: string, manifest: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest))
}

it('finds missing and out-of-range dependencies the way Node resolves them', () => {
  const root = mkdtempSync(join(tmpdir(), 'check-tree-'))
  pkg(root, { dependencies: { a: '^1.0.0', gone: '1.0.0' }, devDependencies: { b: '^2.0.0' } })
  pkg(join(root, 'node_modules/a'), {
    name: 'a',
    version: '1.2.0',
    dependencies: { c: '^1.0.0', d: '^3.0.0' },
  })
  pkg(join(root, 'node_modules/a/node_modules/c'), { name: 'c', version: '1.0.0' })
  pkg(join(root, 'node_modules/c'), { name: 'c', version: '2.0.0' })
  pkg(join(root, 'node_modules/b'), {
    name: 'b',
    version: '2.1.0',
    dependencies: { c: '^2.0.0' },
    optionalDependencies: { nope: '1.0.0' },
    peerDependencies: { a: '^1.0.0', ghost: '1.0.0' },
    peerDependenciesMeta: { ghost: { optional: true } },
  })
  pkg(join(root, 'node_modules/d'), { name: 'd', version: '2.0.0' })
  const report = checkTree(root)
  expect(report.packages).toBe(5)
  expect(
    report.problems.map((p) => `${p.kind} ${p.name}@${p.range}${p.found ? ` ${p.found}` : ''}`).sort(),
  ).toEqual(['invalid d@^3.0.0 2.0.0', 'missing gone@1.0.0'])
})
