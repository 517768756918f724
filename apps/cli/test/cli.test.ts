import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { pathWithThisNode, toteCommand } from './_tote.js'

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))

async function tote(...args: string[]) {
  try {
    const command = toteCommand(args)
    const env = { ...process.env, PATH: pathWithThisNode() }
    const { stdout, stderr } = await promisify(execFile)(command.file, command.args, { env })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

describe('tote CLI (built bundle)', () => {
  it('prints its version', async () => {
    const result = await tote('--version')
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` })
  })

  it('prints help listing the options', async () => {
    const result = await tote('--help')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Usage: tote <command>')
    expect(result.stdout).toContain('--version')
  })

  it('rejects an unknown command with a code, a hint and exit code 2', async () => {
    const result = await tote('frobnicate')
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('EUNKNOWNCOMMAND')
    expect(result.stderr).toContain('Unknown command "frobnicate"')
    expect(result.stderr).toContain('hint:')
  })

  it('rejects an unknown flag', async () => {
    const result = await tote('--frobnicate')
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('EUSAGE')
    expect(result.stderr).toContain("'--frobnicate'")
  })
})
