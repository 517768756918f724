import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pathWithThisNode, scratch, tote, toteCommand } from './_tote.js'

// Colour: only the words `warn` and `error`, only where someone reads them (a terminal), unless
// NO_COLOR, FORCE_COLOR or npm's `color` (--color=always, --no-color) say otherwise.

const RED_ERROR = '\x1b[31merror\x1b[39m'
const YELLOW_WARN = '\x1b[33mwarn\x1b[39m'

let registry: TestRegistry

beforeAll(async () => {
  registry = await createTestRegistry({
    packages: { lib: { versions: { '1.0.0': {} } } },
  })
})
afterAll(() => registry.close())

/** A project whose install fails: it depends on a package the registry does not have. */
function failing() {
  return scratch({ name: 'p', dependencies: { missing: '1.0.0' } })
}

function run(project: ReturnType<typeof scratch>, args: string[], env?: Record<string, string>) {
  return tote(args, { ...project, cwd: project.dir, registry: registry.url, env })
}

/** Runs tote on a pseudo-terminal (util-linux `script`) and returns what the terminal received. */
async function onTerminal(
  project: ReturnType<typeof scratch>,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const command = toteCommand(args)
  const line = [command.file, ...command.args].map((arg) => `'${arg}'`).join(' ')
  const { stdout } = await promisify(execFile)('script', ['-qfc', line, '/dev/null'], {
    cwd: project.dir,
    env: {
      PATH: pathWithThisNode(),
      HOME: project.home,
      TERM: 'xterm',
      TOTE_CACHE_DIR: project.cache,
      npm_config_registry: registry.url,
      npm_config_userconfig: join(project.home, '.npmrc'),
      npm_config_fetch_retry_mintimeout: '10',
      npm_config_fetch_retry_maxtimeout: '50',
      ...env,
    },
  })
  return stdout
}

describe('piped output', () => {
  it('has no escape codes', async () => {
    const result = await run(failing(), ['install'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^tote error E404: package 'missing' was not found/)
    expect(result.stderr).not.toContain('\x1b')
  })

  it('is coloured with FORCE_COLOR, or --color=always', async () => {
    const forced = await run(failing(), ['install'], { FORCE_COLOR: '1' })
    expect(forced.stderr).toMatch(new RegExp(`^tote ${literal(RED_ERROR)} E404: `))
    const always = await run(failing(), ['install', '--color=always'])
    expect(always.stderr).toMatch(new RegExp(`^tote ${literal(RED_ERROR)} E404: `))
  })

  it('is plain with FORCE_COLOR=0, and with --no-color whatever FORCE_COLOR says', async () => {
    const zero = await run(failing(), ['install'], { FORCE_COLOR: '0' })
    expect(zero.stderr).toMatch(/^tote error E404: /)
    const no = await run(failing(), ['install', '--no-color'], { FORCE_COLOR: '1' })
    expect(no.stderr).toMatch(/^tote error E404: /)
    expect(no.stderr).not.toContain('\x1b')
  })

  it('colours warnings in yellow when forced, and not with npm_config_color=false', async () => {
    registry.fault(/^\/lib(\/[^-]*)?$/, { status: 503, times: 1 })
    const project = scratch({ name: 'p', dependencies: { lib: '1.0.0' } })
    const forced = await run(project, ['install'], { FORCE_COLOR: '1' })
    expect(forced.code).toBe(0)
    expect(forced.stderr).toMatch(new RegExp(`^tote ${literal(YELLOW_WARN)} ERETRY: GET `))
    registry.fault(/^\/lib(\/[^-]*)?$/, { status: 503, times: 1 })
    const again = scratch({ name: 'p', dependencies: { lib: '1.0.0' } })
    const off = await run(again, ['install'], { FORCE_COLOR: '1', npm_config_color: 'false' })
    expect(off.code).toBe(0)
    expect(off.stderr).toMatch(/^tote warn ERETRY: GET /)
    expect(off.stderr).not.toContain('\x1b')
  })
})

describe('on a terminal', () => {
  it('colours `error`', async () => {
    const raw = await onTerminal(failing(), ['install'])
    expect(raw).toContain(`tote ${RED_ERROR} E404: package 'missing' was not found`)
  })

  it('prints no colour with NO_COLOR or --no-color', async () => {
    const noColor = await onTerminal(failing(), ['install'], { NO_COLOR: '1' })
    expect(noColor).toContain("tote error E404: package 'missing' was not found")
    expect(noColor).not.toContain('\x1b[31m')
    const flag = await onTerminal(failing(), ['install', '--no-color'])
    expect(flag).toContain("tote error E404: package 'missing' was not found")
    expect(flag).not.toContain('\x1b[31m')
  })
})

function literal(text: string): string {
  return text.replace(/[[\]\\^$.|?*+()]/g, '\\$&')
}
