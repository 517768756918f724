import { lstatSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import type { PackageFile } from '@tote/types'
import { isToteError, ToteError } from '@tote/types'
import { tarBytes } from './_gunzip.js'
import { entryPath } from './_paths.js'
import { readTar, type TarEntry } from './_tar.js'
import type { ExtractOptions, ExtractResult } from './types.js'

/** What each typeflag becomes: a file, a folder, or the reason the entry is dropped. */
const KINDS: Record<string, 'file' | 'directory' | string> = {
  '0': 'file',
  '7': 'file', // contiguous file: a regular file everywhere that matters
  '5': 'directory',
  D: 'directory', // GNU dump directory
  '1': 'a hard link',
  '2': 'a symbolic link',
  '3': 'a character device',
  '4': 'a block device',
  '6': 'a fifo',
  S: 'a GNU sparse file',
}

/**
 * Unpacks a gzipped (or plain) npm tarball into `destDir`, stripping its top folder. Hostile entries
 * (absolute paths, `..`, drive letters, links, devices, fifos) are dropped with a warning
 * (`ETARBADENTRY`); nothing is ever written outside `destDir`. Modes become 0o644, or 0o755 when any
 * execute bit is set (the process umask applies, as with npm). When an entry appears twice, the last
 * one wins. A damaged tarball throws ToteError `ETARBALL`; the caller removes `destDir`.
 *
 * Synchronous on purpose: it runs inside worker threads. `destDir` is expected to be new or empty;
 * in a reused folder, existing files and symlinks in the way are replaced, never written through.
 */
export function extractTarballSync(
  tarball: Uint8Array,
  destDir: string,
  options: ExtractOptions = {},
): ExtractResult {
  return extractTar(tarBytes(tarball, options.packageId), destDir, options)
}

/** {@link extractTarballSync} for bytes already gunzipped (the bench times gunzip apart). */
export function extractTar(tar: Buffer, destDir: string, options: ExtractOptions = {}): ExtractResult {
  const { packageId, onWarning } = options
  const entries = readTar(tar, packageId)
  const drop = (entry: TarEntry, reason: string): void =>
    onWarning?.({
      code: 'ETARBADENTRY',
      message: `${packageId ?? 'tarball'}: dropped entry "${entry.name}": ${reason}`,
      ...(packageId === undefined ? {} : { package: packageId }),
    })

  const files = new Map<string, TarEntry>()
  const explicitDirs = new Set<string>()
  for (const entry of entries) {
    const kind = KINDS[entry.type] ?? `an unsupported entry type "${entry.type}"`
    if (kind !== 'file' && kind !== 'directory') {
      drop(entry, kind)
      continue
    }
    const where = entryPath(entry.name)
    if (where.kind === 'refused') drop(entry, where.reason)
    else if (where.kind === 'top') {
      if (kind === 'file') drop(entry, 'a file outside the package folder')
    } else if (kind === 'file') {
      files.delete(where.path) // the last entry wins, and takes the last place
      files.set(where.path, entry)
      explicitDirs.delete(where.path)
    } else {
      files.delete(where.path)
      explicitDirs.add(where.path)
    }
  }

  // Every folder to create, parents before children, each once.
  const dirs = new Set<string>()
  for (const path of files.keys()) addParents(dirs, path)
  for (const dir of explicitDirs) {
    addParents(dirs, dir)
    dirs.add(dir)
  }
  for (const [path, entry] of files) {
    if (dirs.has(path)) {
      drop(entry, 'a file where other entries need a folder')
      files.delete(path)
    }
  }

  const written: PackageFile[] = []
  let target = destDir
  try {
    mkdirSync(destDir, { recursive: true })
    for (const dir of dirs) {
      target = `${destDir}/${dir}`
      makeDir(target)
    }
    for (const [path, entry] of files) {
      const mode = entry.mode & 0o111 ? 0o755 : 0o644
      target = `${destDir}/${path}`
      writeFile(target, tar.subarray(entry.offset, entry.offset + entry.size), mode)
      written.push({ path, mode, size: entry.size })
    }
  } catch (error) {
    if (isToteError(error)) throw error
    const code = (error as NodeJS.ErrnoException).code
    throw new ToteError(
      'EEXTRACT',
      `${packageId ?? 'tarball'}: could not write ${target}: ${code ?? error}`,
      {
        hint:
          code === 'ENOSPC' ? 'Free some disk space and try again.' : 'Check the permissions of that folder.',
        cause: error,
        details: { path: target, errno: code, ...(packageId === undefined ? {} : { package: packageId }) },
      },
    )
  }
  return { files: written }
}

function addParents(dirs: Set<string>, path: string): void {
  const slash = path.lastIndexOf('/')
  if (slash === -1) return
  const parent = path.slice(0, slash)
  if (dirs.has(parent)) return
  addParents(dirs, parent)
  dirs.add(parent)
}

function makeDir(dir: string): void {
  try {
    mkdirSync(dir)
    return
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  if (lstatSync(dir).isDirectory()) return
  rmSync(dir, { force: true }) // a file or a symlink in a reused folder: replace it, never follow it
  mkdirSync(dir)
}

function writeFile(file: string, data: Uint8Array, mode: number): void {
  try {
    // 'wx' = O_CREAT | O_EXCL: fails on anything already there, a symlink included, so none is followed.
    writeFileSync(file, data, { mode, flag: 'wx' })
    return
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  rmSync(file, { recursive: true, force: true }) // rm removes a symlink itself, not what it points to
  writeFileSync(file, data, { mode, flag: 'wx' })
}
