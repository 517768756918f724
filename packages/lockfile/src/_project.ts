import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ProjectManifest } from '@tote/types'
import { ToteError } from '@tote/types'
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
  return { path, manifest: data as ProjectManifest, format: detectJsonFormat(source) }
}
