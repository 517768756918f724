import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pathWithThisNode, scratch, toteCommand } from './_tote.js'

// An install on a terminal, recorded through a pseudo-terminal (util-linux `script`).

let registry: TestRegistry

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: {
      app: { versions: { '1.0.0': { dependencies: { lib: '1.0.0' } } } },
      lib: { versions: { '1.0.0': {} } },
    },
  })
})
afterAll(() => registry.close())

/**
 * What a terminal shows at the end: each line as `\r` and erase-line (`ESC [K`) leave it, its colours
 * (`ESC [ … m`) aside.
 */
function screen(raw: string): string[] {
  return raw
    .replaceAll('\r\n', '\n')
    .replace(/\x1b\[\d*m/g, '')
    .split('\n')
    .map((line) => {
      let shown = ''
      for (const part of line.split('\r')) shown = part.startsWith('\x1b[K') ? part.slice(3) : part
      return shown
    })
    .filter((line) => line !== '')
}

describe('on a terminal', () => {
  it('shows retries, keeps a live line, and clears it at the end', async () => {
    const project = scratch({ name: 'p', dependencies: { app: '1.0.0' } })
    // lib's registry document (its packument, or the document of its one version), not its tarball
    registry.fault(/^\/lib(\/[^-]*)?$/, { status: 503, times: 2 })
    const command = toteCommand(['install'])
    const line = [command.file, ...command.args].map((arg) => `'${arg}'`).join(' ')
    const { stdout: raw } = await promisify(execFile)('script', ['-qfec', line, '/dev/null'], {
      cwd: project.dir,
      env: {
        PATH: pathWithThisNode(),
        HOME: project.home,
        TERM: 'xterm',
        TOTE_CACHE_DIR: project.cache,
        npm_config_registry: registry.url,
        npm_config_userconfig: join(project.home, '.npmrc'),
        npm_config_fetch_retry_mintimeout: '400',
        npm_config_fetch_retry_maxtimeout: '800',
      },
    })
    // The live line was drawn (and redrawn in place) while the registry kept failing.
    expect(raw).toContain('\r\x1b[Kresolving: ')
    // whole, though `script` gives a terminal of 0 columns here (read as 80)
    expect(raw).toMatch(/\r\x1b\[Kresolving: [^\r]* \(\d+\.\ds\)/)
    // On a terminal, `warn` is yellow.
    expect(raw).toContain('tote \x1b[33mwarn\x1b[39m ERETRY: ')
    const shown = screen(raw)
    const retries = shown.filter((text) => text.startsWith('tote warn ERETRY: '))
    expect(retries).toHaveLength(2)
    expect(retries[0]).toMatch(
      /^tote warn ERETRY: GET \S+\/lib(\/1\.0\.0)?: HTTP 503 \(try 1 of 3\); trying again in \d+ ms$/,
    )
    expect(retries[1]).toMatch(/\(try 2 of 3\)/)
    // At the end only results stay: no progress line is left on the screen.
    expect(shown.filter((text) => /^(resolving|installing): /.test(text))).toEqual([])
    expect(shown.at(-1)).toMatch(/^added 2 packages in [\d.]+s \(2 downloaded\)$/)
  })

  it('counts the tarballs unpacked while the install waits for the rest', async () => {
    const project = scratch({ name: 'p', dependencies: { app: '1.0.0' } })
    // app's tarball comes at once and is unpacked; lib's keeps the install waiting
    registry.fault(/^\/lib\/-\//, { delayMs: 1500, times: 1 })
    const command = toteCommand(['install'])
    const line = [command.file, ...command.args].map((arg) => `'${arg}'`).join(' ')
    const { stdout: raw } = await promisify(execFile)('script', ['-qfec', line, '/dev/null'], {
      cwd: project.dir,
      env: {
        PATH: pathWithThisNode(),
        HOME: project.home,
        TERM: 'xterm',
        TOTE_CACHE_DIR: project.cache,
        npm_config_registry: registry.url,
        npm_config_userconfig: join(project.home, '.npmrc'),
      },
    })
    // the line redrawn while lib's tarball was awaited says app's was unpacked
    expect(raw).toMatch(/\r\x1b\[K(resolving|installing): [^\r]*\b1 unpacked\b/)
    const shown = screen(raw)
    expect(shown.filter((text) => /^(resolving|installing): /.test(text))).toEqual([])
    expect(shown.at(-1)).toMatch(/^added 2 packages in [\d.]+s \(2 downloaded\)$/)
  })
})
