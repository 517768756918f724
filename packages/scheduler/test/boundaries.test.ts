// What the scheduler's design promises, read from the sources of the repository: it imports no
// stage (it is given them as modules), and it is the one package that starts threads.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const repo = fileURLToPath(new URL('../../../', import.meta.url))

/** Every source file under `dir` (recursively), as [path from the repository, text]. */
function sources(dir: string): Array<[string, string]> {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .map((path) => [relative(repo, path), readFileSync(path, 'utf8')])
}

/** The `src/` folder of every package and app. */
function sourceFolders(): string[] {
  return ['packages', 'apps'].flatMap((group) =>
    readdirSync(join(repo, group), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(repo, group, entry.name, 'src'))
      .filter((src) => readdirSync(join(src, '..')).includes('src')),
  )
}

/** The modules a file imports, statically or with `import()`. */
function importsOf(text: string): string[] {
  const found = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)].map(
    (match) => match[1]!,
  )
  return [...new Set(found)]
}

describe('boundaries', () => {
  it('the scheduler imports no stage package: @tote/types is the only one of tote', () => {
    const files = sources(join(repo, 'packages', 'scheduler', 'src'))
    expect(files.length).toBeGreaterThan(3)
    const tote = files.flatMap(([path, text]) =>
      importsOf(text)
        .filter((name) => name.startsWith('@tote/'))
        .map((name) => `${path}: ${name}`),
    )
    expect(tote.filter((line) => !line.endsWith(': @tote/types'))).toEqual([])
    const manifest = JSON.parse(readFileSync(join(repo, 'packages', 'scheduler', 'package.json'), 'utf8'))
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['@tote/types', 'tinypool'])
  })

  it('no package but the scheduler starts a worker thread', () => {
    const threads =
      /\bnew\s+Worker\s*\(|\bWorker\b[^\n]*from\s*['"]node:worker_threads['"]|['"](tinypool|piscina)['"]/
    const starting = sourceFolders()
      .flatMap((src) => sources(src))
      .filter(([path, text]) => threads.test(text) && !path.startsWith(join('packages', 'scheduler', '')))
      .map(([path]) => path)
    expect(starting).toEqual([])
    // and the scheduler does (the check above would pass if it could not see any)
    const scheduler = sources(join(repo, 'packages', 'scheduler', 'src'))
    expect(scheduler.some(([, text]) => threads.test(text))).toBe(true)
  })
})
