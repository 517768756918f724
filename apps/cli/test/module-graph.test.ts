import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

// The CLI's modules as the source imports them: each command reads top to bottom and calls shared
// modules below it, which never reach back up. A cycle, even one of types only, is a module that
// has to be read from both ends.

const src = fileURLToPath(new URL('../src/', import.meta.url))

interface Edge {
  from: string
  to: string
  /** `static`: an import or export the bundle keeps; `dynamic`: `import('./…')`; `type`: erased. */
  kind: 'static' | 'dynamic' | 'type'
}

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(folder, entry.name))
      : entry.name.endsWith('.ts')
        ? [relative(src, join(folder, entry.name)).split('\\').join('/')]
        : [],
  )
}

/** Every import of a local module by the CLI's sources (`../_x.js` from commands/y.ts is `_x.ts`). */
function importsOf(file: string): Edge[] {
  const text = readFileSync(join(src, file), 'utf8')
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS)
  const edges: Edge[] = []
  const add = (specifier: ts.Expression | undefined, kind: Edge['kind']) => {
    if (!specifier || !ts.isStringLiteralLike(specifier) || !specifier.text.startsWith('.')) return
    const to = join(dirname(file), specifier.text).split('\\').join('/').replace(/\.js$/, '.ts')
    edges.push({ from: file, to, kind })
  }
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      // `import type { … }` is erased; `import { type A }` is kept as `import {}` (verbatimModuleSyntax).
      const typeOnly = node.importClause?.phaseModifier === ts.SyntaxKind.TypeKeyword
      add(node.moduleSpecifier, typeOnly ? 'type' : 'static')
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly ? 'type' : 'static')
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], 'dynamic')
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return edges
}

const files = sourceFiles(src)
const edges = files.flatMap(importsOf)

/**
 * The cycles among `kinds` of edges: for each group of files that reach one another (a strongly
 * connected component, Tarjan's), its shortest cycle through its first file, and the whole group.
 */
function cycles(kinds: Edge['kind'][]): string[] {
  const next = new Map<string, string[]>()
  for (const edge of edges) {
    if (kinds.includes(edge.kind)) next.set(edge.from, [...(next.get(edge.from) ?? []), edge.to])
  }
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const groups: string[][] = []
  const connect = (file: string) => {
    index.set(file, index.size)
    low.set(file, index.get(file)!)
    stack.push(file)
    for (const to of next.get(file) ?? []) {
      if (!index.has(to)) {
        connect(to)
        low.set(file, Math.min(low.get(file)!, low.get(to)!))
      } else if (stack.includes(to)) low.set(file, Math.min(low.get(file)!, index.get(to)!))
    }
    if (low.get(file) !== index.get(file)) return
    const group = stack.splice(stack.indexOf(file))
    if (group.length > 1 || next.get(file)?.includes(file)) groups.push(group.sort())
  }
  for (const file of files) if (!index.has(file)) connect(file)
  return groups.map((group) => {
    // Breadth first from the group's first file back to it, within the group.
    const first = group[0]!
    const cameFrom = new Map<string, string>()
    const queue = [first]
    while (queue.length > 0) {
      const file = queue.shift()!
      for (const to of next.get(file) ?? []) {
        if (!group.includes(to) || cameFrom.has(to)) continue
        cameFrom.set(to, file)
        queue.push(to)
      }
      if (cameFrom.has(first)) break
    }
    const cycle = [first]
    for (let file = cameFrom.get(first)!; file !== first; file = cameFrom.get(file)!) cycle.unshift(file)
    return `${[first, ...cycle].join(' -> ')} (${group.length} files reach one another: ${group.join(', ')})`
  })
}

describe("the CLI's module graph", () => {
  it('is read from the source: the command table loads every command lazily', () => {
    const commands = files.filter((file) => file.startsWith('commands/'))
    expect(commands.length).toBeGreaterThan(10)
    const loaded = edges.filter((edge) => edge.from === '_commands.ts' && edge.kind === 'dynamic')
    expect(new Set(loaded.map((edge) => edge.to))).toEqual(new Set(commands))
    expect(edges).toContainEqual({ from: 'main.ts', to: '_commands.ts', kind: 'static' })
  })

  it('has no cycle of imports the bundle keeps (static, and dynamic of local modules)', () => {
    expect(cycles(['static', 'dynamic'])).toEqual([])
  })

  it('has no cycle either when type-only imports are counted', () => {
    expect(cycles(['static', 'dynamic', 'type'])).toEqual([])
  })

  it('has no shared module that imports a command: only the command table loads them', () => {
    const upward = edges
      .filter((edge) => !edge.from.startsWith('commands/') && edge.from !== '_commands.ts')
      .filter((edge) => edge.to.startsWith('commands/'))
      .map((edge) => `${edge.from} -> ${edge.to}`)
    expect(upward).toEqual([])
  })

  it('imports only files that exist', () => {
    const missing = edges
      .filter((edge) => !files.includes(edge.to))
      .map((edge) => `${edge.from} -> ${edge.to}`)
    expect(missing).toEqual([])
  })
})
