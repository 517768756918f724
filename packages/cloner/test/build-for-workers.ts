import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import ts from 'typescript'

const packageDir = join(import.meta.dirname, '..')

/**
 * Worker threads run plain Node, which cannot load the TypeScript sources vitest runs. This
 * transpiles src/ file by file (imports already end in `.js`) into a temporary folder: the layout
 * of dist/. `@tote/types` is pointed at its built dist/ explicitly, because worker threads inherit
 * vitest's `--conditions source` and would otherwise resolve it to TypeScript.
 */
export function buildForWorkers(): string {
  const cache = join(packageDir, 'node_modules', '.cache')
  mkdirSync(cache, { recursive: true })
  const outDir = mkdtempSync(join(cache, 'tote-cloner-test-'))
  const srcDir = join(packageDir, 'src')
  for (const name of readdirSync(srcDir)) {
    if (!name.endsWith('.ts')) continue
    const { outputText } = ts.transpileModule(readFileSync(join(srcDir, name), 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2023,
        verbatimModuleSyntax: true,
      },
      fileName: name,
    })
    const typesModule = pathToFileURL(join(packageDir, 'node_modules/@tote/types/dist/index.js')).href
    writeFileSync(
      join(outDir, name.replace(/\.ts$/, '.js')),
      outputText.replaceAll("from '@tote/types'", `from '${typesModule}'`),
    )
  }
  return outDir
}
