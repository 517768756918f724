import type { Dirent } from 'node:fs'
import { readdir, readlink, rm, rmdir, unlink } from 'node:fs/promises'
import { join, resolve, sep } from 'node:path'
import type { RemoveExtraneousOptions, RemoveExtraneousResult } from './types.js'

/**
 * Removes package folders under node_modules (at every depth) whose install path is not kept.
 * Entries starting with `.` (`.bin`, `.package-lock.json`, `.cache`) and plain files stay, but for
 * what a removal leaves behind: links in `.bin` into a removed package, and a nested node_modules
 * with no package left (a clean install has neither). A kept symlinked package (a workspace) is not
 * entered, since its node_modules is not ours.
 */
export async function removeExtraneous(options: RemoveExtraneousOptions): Promise<RemoveExtraneousResult> {
  const removed: string[] = []
  await sweep(options.projectDir, 'node_modules', options.keep, removed)
  removed.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return { removed }
}

async function sweep(projectDir: string, folder: string, keep: ReadonlySet<string>, removed: string[]) {
  const found = await entriesOrNone(join(projectDir, folder))
  if (found === undefined) return
  // A nested node_modules with nothing in it (a killed run made it and placed nothing) goes too.
  if (found.length === 0 && folder !== 'node_modules') {
    await rmdir(join(projectDir, folder)).catch(() => {})
    return
  }
  const entries = found
  const before = removed.length
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
  // Only where this folder's own packages went (not those of folders below it).
  const gone = removed
    .slice(before)
    .filter((path) => !path.slice(folder.length + 1).includes('/node_modules/'))
  if (gone.length > 0) await tidy(projectDir, folder, gone)
}

/**
 * After packages of `folder` were removed: a nested folder with none left goes, else their bin
 * links (and `.bin`, when none is left).
 */
async function tidy(projectDir: string, folder: string, gone: string[]) {
  const dir = join(projectDir, folder)
  if (folder !== 'node_modules') {
    const left = (await entriesOf(dir)).filter((entry) => !entry.name.startsWith('.'))
    if (left.length === 0) return rm(dir, { recursive: true, force: true })
  }
  const bin = join(dir, '.bin')
  const removedDirs = gone.map((path) => join(projectDir, path))
  for (const entry of await entriesOf(bin)) {
    if (!entry.isSymbolicLink()) continue
    const target = resolve(bin, await readlink(join(bin, entry.name)).catch(() => ''))
    if (removedDirs.some((removedDir) => target === removedDir || target.startsWith(removedDir + sep))) {
      await unlink(join(bin, entry.name)).catch(() => {})
    }
  }
  await rmdir(bin).catch(() => {}) // only succeeds when no bin is left
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
  return (await entriesOrNone(folder)) ?? []
}

/** A folder's entries; undefined when there is no such folder. */
async function entriesOrNone(folder: string): Promise<Dirent[] | undefined> {
  try {
    return await readdir(folder, { withFileTypes: true })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw error
  }
}
