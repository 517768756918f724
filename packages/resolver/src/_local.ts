import { homedir } from 'node:os'
import { posix } from 'node:path'
import type { Node } from './_tree.js'

// Paths of the project's own folders (workspaces, `file:` links and tarballs) are kept relative to
// the project, POSIX, as npm writes them in the lockfile: `packages/a`, `../lib`, `vendor/a.tgz`.

/**
 * The folder `node`'s `file:` specs are relative to, from the project: its own (a virtual root's: its
 * source's); for a folder installed as a copy (install-links), the folder it was copied from.
 */
export function folderOf(node: Node): string {
  const real = node.sourceReference ?? node
  const copied = copiedFrom(real)
  return copied ?? real.location
}

/** The folder (from the project) a package installed as a copy of a `file:` folder came from (install-links). */
export function copiedFrom(node: Node): string | undefined {
  if (node.isFolder || node.linkTarget || !node.fromSource) return undefined
  const source = node.source
  if (!source?.startsWith('file:') || /\.(tgz|tar\.gz|tar)$/i.test(source)) return undefined
  return source.slice('file:'.length)
}

/**
 * `path` (a spec's, as written) seen from `fromDir`, relative to the project and normalised;
 * undefined when it cannot be (an absolute or `~` path without the project's own path).
 */
export function localPath(fromDir: string, path: string, projectDir: string | undefined): string | undefined {
  const slashed = path.replace(/\\/g, '/')
  let absolute: string | undefined
  if (slashed.startsWith('~/')) absolute = posix.join(homedir().replace(/\\/g, '/'), slashed.slice(2))
  else if (slashed.startsWith('/') || /^[a-zA-Z]:\//.test(slashed)) absolute = slashed
  if (absolute !== undefined) {
    if (projectDir === undefined) return undefined
    return clean(posix.relative(projectDir.replace(/\\/g, '/'), absolute))
  }
  return clean(posix.join(fromDir, slashed))
}

function clean(path: string): string {
  const normal = posix.normalize(path).replace(/\/+$/, '')
  return normal === '.' ? '' : normal
}

/** npm's folder name of a package folder: `a` for `packages/a`, `@s/a` for `packages/@s/a`. */
export function nameFromFolder(path: string): string {
  const parts = path.split('/')
  const base = parts.at(-1) ?? ''
  const scope = parts.at(-2)
  return scope?.startsWith('@') ? `${scope}/${base}` : base
}

/** Whether a project-relative path leaves the project (`../lib`). */
export function isOutside(path: string): boolean {
  return path === '..' || path.startsWith('../')
}

/**
 * npm's rule (arborist 11's buildIdealTree) for a folder spec under install-links: linked all the
 * same when written `link:`, or `file:./…`/`file:../…` to a folder inside the project; else a copy.
 * (A dependency named like a workspace is linked too: the caller knows the workspaces.)
 */
export function linkedUnderInstallLinks(
  spec: { link?: true; dotted?: true },
  path: string | undefined,
): boolean {
  return spec.link === true || (spec.dotted === true && path !== undefined && !isOutside(path))
}
