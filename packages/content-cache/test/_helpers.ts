import { createHash } from 'node:crypto'
import { mkdtempSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A fresh folder for one test's cache, removed afterwards. */
export function tempDir(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'tote-cache-')))
  dirs.push(dir)
  return dir
}

/** The sha512 SRI string of `text`. */
export function sri(text: string, algorithm = 'sha512'): string {
  return `${algorithm}-${createHash(algorithm).update(text).digest('base64')}`
}
