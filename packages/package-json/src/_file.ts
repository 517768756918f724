import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeLockfileText } from '@tote/lockfile'
import { isToteError, ToteError } from '@tote/types'
import type { JsonFormat, PackageJsonFile } from './types.js'

// How npm reads and writes package.json (@npmcli/package-json over json-parse-even-better-errors):
// the layout is taken from the text after the opening brace, the content goes through JSON.parse and
// JSON.stringify, and the file is rewritten only when its content changed.

// json-parse-even-better-errors' two patterns: $1 is the line break, $2 the indent. `\s` in the
// indent class takes line breaks too, as npm's does.
const FORMAT = /^\s*[{[]((?:\r?\n)+)([\s\t]*)/
const EMPTY = /^(?:\{\}|\[\])((?:\r?\n)+)?$/

/**
 * The layout npm keeps: the line break and indent of the first line after the opening brace. A text
 * on one line (`{"a":1}`) has neither, and npm writes it back on one line, with no final newline; `{}`
 * gets two spaces and `\n`.
 */
export function detectPackageJsonFormat(text: string): JsonFormat {
  const source = text.replace(/^\uFEFF/, '')
  const match = EMPTY.exec(source) ?? FORMAT.exec(source)
  if (!match) return { indent: '', newline: '' }
  return { newline: match[1] ?? '\n', indent: match[2] ?? '  ' }
}

/**
 * The text npm writes for `content` in `format`: JSON.stringify with the indent, a final newline,
 * and every `\n` made the file's line break (none at all for a one-line file).
 */
export function stringifyPackageJson(content: Record<string, unknown>, format: JsonFormat): string {
  return `${JSON.stringify(content, null, format.indent)}\n`.replace(/\n/g, format.newline)
}

/** Parses package.json text, as npm does (a byte order mark is dropped). */
export function parsePackageJson(text: string, path = 'package.json'): PackageJsonFile {
  let content: unknown
  try {
    content = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch (error) {
    throw new ToteError('EJSONPARSE', `${path}: invalid JSON: ${(error as Error).message}`, {
      hint: 'Fix the JSON syntax of package.json.',
      cause: error,
      details: { path },
    })
  }
  if (content === null || typeof content !== 'object' || Array.isArray(content)) {
    throw new ToteError('EJSONPARSE', `${path}: must hold a JSON object`, {
      hint: 'A package.json is an object: { "name": …, "dependencies": { … } }.',
      details: { path },
    })
  }
  return { path, text, content: content as Record<string, unknown>, format: detectPackageJsonFormat(text) }
}

/**
 * Reads `<projectDir>/package.json` with its text and layout.
 *
 * @throws ToteError `ENOPACKAGEJSON` when there is none, `EJSONPARSE` when it is not a JSON object.
 */
export async function readPackageJson(projectDir: string): Promise<PackageJsonFile> {
  const path = join(projectDir, 'package.json')
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new ToteError(
      code === 'ENOENT' ? 'ENOPACKAGEJSON' : 'EJSONPARSE',
      code === 'ENOENT'
        ? `No package.json in ${projectDir}`
        : `Cannot read ${path}: ${(error as Error).message}`,
      {
        hint: 'Run tote in a project folder, or create a package.json first (`npm init -y`).',
        cause: error,
        details: { path },
      },
    )
  }
  return parsePackageJson(text, path)
}

/**
 * The text to write for `content`, or undefined when npm would leave the file alone: its content,
 * laid out, is the file's text but for leading and trailing white space.
 */
export function packageJsonText(file: PackageJsonFile, content: Record<string, unknown>): string | undefined {
  const text = stringifyPackageJson(content, file.format)
  return text.trim() === file.text.trim() ? undefined : text
}

/**
 * Writes package.json atomically (a temporary file beside it, flushed, then renamed over it, as
 * @tote/lockfile writes package-lock.json): readers, and a run killed at any moment, see the old file
 * or the new one. Its permissions are kept.
 *
 * @throws ToteError `EPACKAGEJSONWRITE` when it cannot be written; the old file is then as it was.
 */
export async function writePackageJsonText(path: string, text: string): Promise<void> {
  try {
    await writeLockfileText(path, text)
  } catch (error) {
    const cause = isToteError(error) && error.cause !== undefined ? error.cause : error
    throw new ToteError('EPACKAGEJSONWRITE', `Cannot write ${path}: ${(cause as Error).message}`, {
      hint: 'Check that the folder is writable and the disk has space; package.json was left as it was.',
      cause,
      details: { path },
    })
  }
}
