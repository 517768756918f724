import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { expect, it } from 'vitest'
import { loadConfig } from '../src/index.js'

/** The npm installation on PATH (for its built-in npmrc), found without running it. */
function npmFolder(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const bin = join(dir, 'npm')
    if (!existsSync(bin)) continue
    const folder = dirname(dirname(realpathSync(bin)))
    const manifest = join(folder, 'package.json')
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'npm') return folder
  }
  return undefined
}

const npm = (...args: string[]) =>
  execFileSync('npm', args, { cwd: import.meta.dirname, env: process.env, encoding: 'utf8' }).trim()

it("reads this machine's npm config as npm does: same registry and project folder", async () => {
  const config = await loadConfig({ cwd: import.meta.dirname, env: process.env, npmPath: npmFolder() })
  const npmRegistry = npm('config', 'get', 'registry')
  expect(config.get('registry')).toBe(npmRegistry)
  expect(config.registry).toBe(new URL(npmRegistry.endsWith('/') ? npmRegistry : `${npmRegistry}/`).href)
  expect(config.projectDir).toBe(npm('prefix'))
})
