import { lstatSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import { afterEach, expect } from 'vitest'
import { extractTarball, extractTarballSync } from '../src/_extract.js'
import type { ExtractOptions, ExtractResult } from '../src/types.js'

const roots: string[] = []

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true })
})

/** A fresh temp folder (removed after the test) and the destination folder inside it. */
export function tempRoot(): { root: string; dest: string } {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'tote-extractor-')))
  roots.push(root)
  return { root, dest: join(root, 'dest') }
}

/** Every path under `dir` (files, folders, links), relative, `/`-separated, sorted. */
export function walk(dir: string): string[] {
  const found: string[] = []
  const visit = (current: string): void => {
    for (const name of readdirSync(current)) {
      const full = join(current, name)
      found.push(relative(dir, full).split(sep).join('/'))
      if (lstatSync(full).isDirectory()) visit(full)
    }
  }
  visit(dir)
  return found.sort()
}

/** Asserts that the only things in `root` are `dest` (and its contents) and the `allowed` paths. */
export function expectNothingOutside(root: string, allowed: string[] = []): void {
  const outside = walk(root).filter((path) => path !== 'dest' && !path.startsWith('dest/'))
  expect(outside).toEqual([...allowed].sort())
}

/** The permission bits a file created with `mode` gets under this process's umask. */
export function withUmask(mode: number): number {
  const umask = process.umask()
  return mode & ~umask
}

export function modeOf(path: string): number {
  return lstatSync(path).mode & 0o7777
}

/** Overwrites a header field (a string is written as UTF-8) and recomputes the header checksum. */
export function writeHeaderField(
  tar: Uint8Array,
  header: number,
  offset: number,
  width: number,
  value: string | Uint8Array,
): void {
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value
  tar.set(bytes.subarray(0, width), header + offset)
  tar.fill(0x20, header + 148, header + 156)
  let sum = 0
  for (let i = header; i < header + 512; i++) sum += tar[i]!
  tar.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, '0')}\0 `), header + 148)
}

/** One way to run an extraction: the public function, and each inflater path forced. */
export interface Extraction {
  name: string
  extract(tarball: Uint8Array, destDir: string, options?: ExtractOptions): ExtractResult
}

/**
 * The suites run with each: the default (Node's zlib handle into a reused buffer, on this Node.js),
 * the public gunzipSync fallback (the tar in one piece), and the handle with an output buffer of 700
 * bytes, so that headers and data straddle output pieces everywhere.
 */
export const EXTRACTIONS: Extraction[] = [
  { name: 'default inflater', extract: extractTarballSync },
  { name: 'public zlib API', extract: (t, d, o) => extractTarball(t, d, o, { path: 'public' }) },
  {
    name: 'zlib handle, 700-byte output',
    extract: (t, d, o) => extractTarball(t, d, o, { path: 'handle', outputSize: 700 }),
  },
]
