import type { Dirent } from 'node:fs'
import { readdir, rm, rmdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { RemoveExtraneousOptions, RemoveExtraneousResult } from './types.js'

/**
 * Removes package folders under node_modules (at every depth) whose install path is not kept.
 * Entries starting with `.` (`.bin`, `.package-lock.json`, `.cache`) and plain files stay; a kept
 * symlinked package (a workspace) is not entered, since its node_modules is not ours.
 */
export async function removeExtraneous(options: RemoveExtraneousOptions): Promise<RemoveExtraneousResult> {
  const removed: string[] = []
  await sweep(options.projectDir, 'node_modules', options.keep, removed)
  removed.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return { removed }
}

async function sweep(projectDir: string, folder: string, keep: ReadonlySet<string>, removed: string[]) {
  const entries = await entriesOf(join(projectDir, folder))
  await Promise.all(
    entries.map(async (entry) => {
      if (entry.name.startsWith('.')) return
      const path = `${folder}/${entry.name}`
      if (!entry.name.startsWith('@') || !entry.isDirectory())
        return visit(projectDir, path, entry, keep, removed)
      const scoped = await entriesOf(join(projectDir, path))
      await Promise.all(
        scoped
          .filter((inner) => !inner.name.startsWith('.'))
          .map((inner) => visit(projectDir, `${path}/${inner.name}`, inner, keep, removed)),
      )
      await rmdir(join(projectDir, path)).catch(() => {}) // only succeeds when the scope is empty now
    }),
  )
}

async function visit(
  projectDir: string,
  path: string,
  entry: Dirent,
  keep: ReadonlySet<string>,
  removed: string[],
) {
  if (!entry.isDirectory() && !entry.isSymbolicLink()) return
  if (!keep.has(path)) {
    // rm does not follow a symlink: a linked package loses its link, not its files.
    await rm(join(projectDir, path), { recursive: true, force: true })
    removed.push(path)
    return
  }
  if (entry.isDirectory()) await sweep(projectDir, `${path}/node_modules`, keep, removed)
}

async function entriesOf(folder: string): Promise<Dirent[]> {
  try {
    return await readdir(folder, { withFileTypes: true })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return []
    throw error
  }
}
