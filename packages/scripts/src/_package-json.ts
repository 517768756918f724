import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { ToteError } from '@tote/types'
import type { AllowScriptsMap } from './types.js'

// package.json written back as npm writes it (@npmcli/package-json's save, with the layout
// json-parse-even-better-errors remembers when it reads): the file's own indent and line ending,
// keys where they were, a new key last, a final line ending, and nothing written when the text
// would not change.

const FORMAT = /^\s*[{[]((?:\r?\n)+)([\s\t]*)/
const EMPTY = /^(?:\{\}|\[\])((?:\r?\n)+)?$/

/** The indent and line ending npm keeps for a JSON text (`'  '` and `'\n'` when it cannot tell). */
export function jsonLayout(text: string): { indent: string; newline: string } {
  const source = text.replace(/^\uFEFF/, '')
  const match = EMPTY.exec(source) ?? FORMAT.exec(source) ?? [null, '', '']
  return { newline: match[1] ?? '\n', indent: match[2] ?? '  ' }
}

/** `content` as npm writes a package.json laid out like `original`. */
export function formatPackageJson(content: Record<string, unknown>, original: string): string {
  const { indent, newline } = jsonLayout(original)
  return `${JSON.stringify(content, null, indent)}\n`.replace(/\n/g, newline)
}

/**
 * The text of package.json with `allowScripts` set to `value` (removed when undefined), as npm's
 * `pkg.update({ allowScripts }); pkg.save()` leaves it; undefined when npm would not write.
 */
export function withAllowScripts(original: string, value: AllowScriptsMap | undefined): string | undefined {
  const content = parseObject(original)
  content.allowScripts = value
  const text = formatPackageJson(content, original)
  return text.trim() === original.replace(/^\uFEFF/, '').trim() ? undefined : text
}

function parseObject(text: string): Record<string, unknown> {
  const data: unknown = JSON.parse(text.replace(/^\uFEFF/, ''))
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ToteError('EJSONPARSE', 'package.json does not hold a JSON object', {
      hint: 'A package.json is an object: { "name": …, "dependencies": { … } }.',
    })
  }
  return data as Record<string, unknown>
}

/** Reads a package.json, and its `allowScripts` map (empty when it has none). */
export function readAllowScripts(path: string): { text: string; allowScripts: AllowScriptsMap } {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new ToteError('ENOPACKAGEJSON', `Cannot read ${path}: ${(error as Error).message}`, {
      hint: 'Run the command in a project folder (one with a package.json).',
      cause: error,
      details: { path },
    })
  }
  let content: Record<string, unknown>
  try {
    content = parseObject(text)
  } catch (error) {
    if (error instanceof ToteError) throw error
    throw new ToteError('EJSONPARSE', `${path}: invalid JSON: ${(error as Error).message}`, {
      hint: 'Fix the JSON syntax of package.json.',
      cause: error,
      details: { path },
    })
  }
  const field = content.allowScripts
  const allowScripts =
    field && typeof field === 'object' && !Array.isArray(field) ? (field as AllowScriptsMap) : {}
  return { text, allowScripts }
}

/** Writes `text` over `path` through a temporary file and a rename. */
export function writeFileAtomic(path: string, text: string): void {
  const temporary = `${path}.tote-${process.pid}.tmp`
  writeFileSync(temporary, text)
  renameSync(temporary, path)
}
