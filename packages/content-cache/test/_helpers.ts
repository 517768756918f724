import { createHash } from 'node:crypto'
import { mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs'
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

/**
 * Returns once the file system's clock (in `dir`) has moved past `path`'s mtime, so that a write
 * from now on stamps a later one. File times tick coarsely (a few ms), and a test edits a file
 * right after it was cached, which no user does.
 */
export function afterFileClockPasses(path: string, dir: string): void {
  const mark = statSync(path).mtimeMs
  const probe = join(dir, '.clock-probe')
  for (;;) {
    writeFileSync(probe, '')
    if (statSync(probe).mtimeMs > mark) break
  }
  rmSync(probe)
}
