import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach } from 'vitest'
import type { ConfigFlags, ToteConfig } from '../src/index.js'
import { loadConfig } from '../src/index.js'

const made: string[] = []
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/**
 * A scratch machine: a home folder, an npm prefix (global npmrc at prefix/etc/npmrc) and a project with
 * a package.json. `env` holds only what the test sets, so the real machine's npm config is never read.
 */
export function makeMachine() {
  const root = mkdtempSync(join(tmpdir(), 'tote-config-'))
  made.push(root)
  const home = join(root, 'home')
  const prefix = join(root, 'prefix')
  const project = join(root, 'project')
  for (const dir of [home, prefix, project]) mkdirSync(dir, { recursive: true })
  writeFileSync(join(project, 'package.json'), '{"name":"app","version":"1.0.0"}\n')

  const write = (path: string, text: string): string => {
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, text)
    return path
  }
  return {
    root,
    home,
    prefix,
    project,
    write,
    globalRc: (text: string) => write(join(prefix, 'etc', 'npmrc'), text),
    userRc: (text: string) => write(join(home, '.npmrc'), text),
    projectRc: (text: string) => write(join(project, '.npmrc'), text),
    /** The environment a test starts from: HOME and PREFIX pointing into the scratch machine. */
    env: (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ HOME: home, PREFIX: prefix, ...extra }),
    load: (
      options: { env?: NodeJS.ProcessEnv; flags?: ConfigFlags; cwd?: string } = {},
    ): Promise<ToteConfig> =>
      loadConfig({
        cwd: options.cwd ?? project,
        env: { HOME: home, PREFIX: prefix, ...options.env },
        flags: options.flags,
        homedir: home,
      }),
  }
}
