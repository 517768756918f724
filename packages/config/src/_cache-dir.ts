// Tote's own cache folder (not npm's `cache`): --cache-dir, TOTE_CACHE_DIR, $XDG_CACHE_HOME/tote, ~/.cache/tote.
import { isAbsolute, join, resolve } from 'node:path'
import { ToteError } from '@tote/types'
import type { ConfigFlagValue } from './types.js'

export function resolveCacheDir(
  flag: ConfigFlagValue,
  env: NodeJS.ProcessEnv,
  cwd: string,
  home: string,
): string {
  if (flag !== undefined) {
    if (typeof flag !== 'string' || flag === '') {
      throw new ToteError('ECONFIG', `Invalid value for --cache-dir: ${JSON.stringify(flag)}`, {
        hint: 'Give --cache-dir a folder path.',
        details: { key: 'cache-dir', value: flag },
      })
    }
    return resolve(cwd, flag)
  }
  if (env.TOTE_CACHE_DIR) return resolve(cwd, env.TOTE_CACHE_DIR)
  // the XDG base directory spec says to ignore a relative XDG_CACHE_HOME
  const xdg = env.XDG_CACHE_HOME
  if (xdg && isAbsolute(xdg)) return join(xdg, 'tote')
  return join(home, '.cache', 'tote')
}
