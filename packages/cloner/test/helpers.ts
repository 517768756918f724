import {
  chmodSync,
  constants,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { CachedPackage } from '@tote/types'
import { afterEach } from 'vitest'

const made: string[] = []

/** A fresh temporary folder, removed after the current test. */
export function scratch(prefix = 'tote-cloner-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
})

export type FileSpec = string | { content: string; mode: number }

/** Writes a package into a fake content cache folder, as the content cache would (modes 0644/0755). */
export function cachePackage(cacheDir: string, id: string, files: Record<string, FileSpec>): CachedPackage {
  const dir = join(cacheDir, id)
  const list = Object.entries(files).map(([path, spec]) => {
    const { content, mode } = typeof spec === 'string' ? { content: spec, mode: 0o644 } : spec
    const file = join(dir, path)
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, content)
    chmodSync(file, mode)
    return { path, mode, size: Buffer.byteLength(content) }
  })
  return { integrity: `sha512-${id}`, dir, files: list }
}

/** A small package with nested folders and an executable, the shape most tests use. */
export function samplePackage(cacheDir: string, id = 'sample'): CachedPackage {
  return cachePackage(cacheDir, id, {
    'package.json': `{"name":"${id}","version":"1.0.0"}`,
    'index.js': 'module.exports = 1\n',
    'bin/cli.js': { content: '#!/usr/bin/env node\n', mode: 0o755 },
    'lib/a/b/deep.js': 'deep\n',
    'lib/a/other.js': 'other\n',
    'README.md': '# readme\n',
  })
}

export interface FileState {
  content: string
  mode: number
}

/** Every regular file under dir: relative path → content and permission bits. */
export function snapshot(dir: string): Record<string, FileState> {
  const result: Record<string, FileState> = {}
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const file = join(entry.parentPath, entry.name)
    result[file.slice(dir.length + 1)] = {
      content: readFileSync(file, 'utf8'),
      mode: statSync(file).mode & 0o777,
    }
  }
  return result
}

/** What snapshot(destDir) must be after cloning source. */
export function expectedFiles(source: CachedPackage): Record<string, FileState> {
  const result: Record<string, FileState> = {}
  for (const file of source.files) {
    result[file.path] = { content: readFileSync(join(source.dir, file.path), 'utf8'), mode: file.mode }
  }
  return result
}

export function inode(path: string): number {
  return statSync(path).ino
}

/** An errno-style error as node:fs throws it. */
export function errno(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path })
}

/** What `auto` must settle on for the temp folder's filesystem: ext4 cannot reflink, btrfs/XFS can. */
export function autoStrategyHere(): 'reflink' | 'hardlink' {
  const dir = scratch()
  writeFileSync(join(dir, 'a'), 'a')
  try {
    copyFileSync(join(dir, 'a'), join(dir, 'b'), constants.COPYFILE_FICLONE_FORCE)
    return 'reflink'
  } catch {
    return 'hardlink'
  }
}
