// What the crash-safety test compares: a project's tree as a person sees it, and a content cache's
// entries.
import { createHash } from 'node:crypto'
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { createContentCache } from '@tote/content-cache'

/**
 * The tree as a person sees it: every path under node_modules with its file's sha256 and executable
 * bit, symlink target, or "dir", plus package.json and package-lock.json. Left out: the hidden
 * lockfile and tote's own dot-files (temporary files) beside the package folders and in the project.
 */
export function snapshot(projectDir: string): Map<string, string> {
  const entries = new Map<string, string>()
  const visit = (relative: string, packageLevel: boolean) => {
    for (const name of readdirSync(join(projectDir, relative)).sort()) {
      if (packageLevel && name.startsWith('.') && name !== '.bin' && name !== 'node_modules') continue
      const path = relative === '' ? name : `${relative}/${name}`
      if (
        relative === '' &&
        name !== 'node_modules' &&
        name !== 'package.json' &&
        name !== 'package-lock.json'
      )
        continue
      const info = lstatSync(join(projectDir, path))
      if (info.isSymbolicLink()) entries.set(path, `link ${readlinkSync(join(projectDir, path))}`)
      else if (info.isDirectory()) {
        entries.set(path, 'dir')
        // Inside node_modules (and a scope folder), names are packages or tote's own.
        visit(path, name === 'node_modules' || (name.startsWith('@') && relative.endsWith('node_modules')))
      } else {
        const hash = createHash('sha256')
          .update(readFileSync(join(projectDir, path)))
          .digest('hex')
        entries.set(path, `file ${hash.slice(0, 16)} ${info.mode & 0o111 ? 'x' : '-'}`)
      }
    }
  }
  visit('', true)
  return entries
}

/** The first differences between two snapshots, one line each; empty when they are equal. */
export function differences(
  expected: Map<string, string>,
  actual: Map<string, string>,
  limit = 12,
): string[] {
  const lines: string[] = []
  const paths = [...new Set([...expected.keys(), ...actual.keys()])].sort()
  let count = 0
  for (const path of paths) {
    const want = expected.get(path)
    const got = actual.get(path)
    if (want === got) continue
    if (++count <= limit) lines.push(`    ${path}: expected ${want ?? 'nothing'}, found ${got ?? 'nothing'}`)
  }
  if (count > limit) lines.push(`    … and ${count - limit} more differing paths`)
  return lines
}

/**
 * The damaged entries of a content cache, as `tote cache verify` finds them: an index that does not
 * read, a file missing, changed since it was written, or whose content is not its recorded hash.
 */
export async function damagedCacheEntries(cacheDir: string): Promise<string[]> {
  const summary = await createContentCache({ dir: cacheDir }).verify({ remove: false })
  return summary.damaged.map((entry) => `${entry.integrity.slice(0, 20)}…: ${entry.reason}`)
}
