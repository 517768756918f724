import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ProjectManifest } from '@tote/types'
import { packageNameProblem, ToteError } from '@tote/types'
import { DEPENDENCY_FIELDS } from './_fields.js'
import { detectJsonFormat } from './_format.js'
import { describeJsonError, findJsonErrorIndex, locationOf } from './_json-error.js'
import { isJsonObject } from './_order.js'
import type { ProjectManifestFile } from './types.js'

/**
 * Reads `<projectDir>/package.json`, and how it is laid out (npm writes the lockfile with the
 * package.json's indent and line ending).
 *
 * @throws ToteError `ENOPACKAGEJSON` when there is none, `EJSONPARSE` (with line and column) when it
 * is not a JSON object.
 */
export async function readProjectManifest(projectDir: string): Promise<ProjectManifestFile> {
  const path = join(projectDir, 'package.json')
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ToteError('ENOPACKAGEJSON', `No package.json in ${projectDir}`, {
        hint: 'Run tote in a project folder, or create a package.json first (`npm init -y`).',
        details: { path },
      })
    }
    throw new ToteError('EJSONPARSE', `Cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
      details: { path },
    })
  }
  const source = text.replace(/^\uFEFF/, '')
  let data: unknown
  try {
    data = JSON.parse(source)
  } catch (error) {
    const { reason, position } = describeJsonError((error as Error).message)
    const location = locationOf(source, Math.max(0, position ?? findJsonErrorIndex(source)))
    throw new ToteError(
      'EJSONPARSE',
      `${path}:${location.line}:${location.column}: invalid JSON: ${reason} (line ${location.line}, column ${location.column})`,
      {
        hint: 'Fix the JSON syntax at that place in package.json.',
        cause: error,
        details: { path, ...location },
      },
    )
  }
  if (!isJsonObject(data)) {
    throw new ToteError('EJSONPARSE', `${path}: must hold a JSON object`, {
      hint: 'A package.json is an object: { "name": …, "dependencies": { … } }.',
      details: { path },
    })
  }
  checkDependencyMaps(path, data as Record<string, unknown>)
  return { path, manifest: data as ProjectManifest, format: detectJsonFormat(source) }
}

/**
 * Each dependency map is an object of name → spec string, and each name is a package name: a
 * number would be dropped silently, and a name such as `../../x` (an `npm:` alias key) would become
 * a folder outside node_modules.
 */
function checkDependencyMaps(path: string, manifest: Record<string, unknown>): void {
  const fail = (field: string, message: string, hint: string): never => {
    throw new ToteError('EPACKAGEJSON', `${path}: ${field} ${message}`, { hint, details: { path, field } })
  }
  for (const field of DEPENDENCY_FIELDS) {
    const map = manifest[field]
    if (map === undefined) continue
    if (!isJsonObject(map)) {
      fail(
        field,
        `must be an object of name → version range, found ${JSON.stringify(map)}`,
        `Write "${field}": { "name": "^1.0.0" }.`,
      )
    }
    for (const [name, spec] of Object.entries(map as Record<string, unknown>)) {
      const label = `${field}[${JSON.stringify(name)}]`
      if (typeof spec !== 'string') {
        fail(
          label,
          `must be a string (a version range, tag or spec), found ${JSON.stringify(spec)}`,
          `Quote it: "${name}": "${String(spec)}".`,
        )
      }
      const problem = packageNameProblem(name)
      if (problem !== undefined)
        fail(
          label,
          `is not a package name: ${problem}`,
          'Use the package name as the key; for another name, use an alias: "my-name": "npm:real-name@^1.0.0".',
        )
    }
  }
}
