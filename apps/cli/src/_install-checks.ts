import { accessSync, constants, mkdirSync } from 'node:fs'
import type { ToteConfig } from '@tote/config'
import { isLockfileInSync, unsupportedEngines } from '@tote/lockfile'
import { type Lockfile, ToteError } from '@tote/types'
import type { Session } from './_open-project.js'

// What the commands that install check before they write anything: the layout asked for, the
// lockfile given (ci, --frozen-lockfile), the engines of the tree, and a writable cache.

/** npm's install-strategy: hoisted (npm's default), nested or shallow; linked is refused. */
export function checkInstallStrategy(config: ToteConfig): void {
  installStrategyOf(config)
}

/** npm's install-strategy as the resolver takes it; `linked` (or another value) is EUNSUPPORTED. */
export function installStrategyOf(config: ToteConfig): 'hoisted' | 'nested' | 'shallow' {
  const strategy = config.get('install-strategy')
  if (strategy === undefined || strategy === null || strategy === 'hoisted') return 'hoisted'
  if (strategy === 'nested' || strategy === 'shallow') return strategy
  throw new ToteError(
    'EUNSUPPORTED',
    `install-strategy=${String(strategy)} is not supported; tote installs npm's hoisted, nested and shallow layouts`,
    {
      hint: 'Set install-strategy to hoisted (the default), nested or shallow in .npmrc (or the flag), or use npm for this project.',
      details: { key: 'install-strategy', value: strategy },
    },
  )
}

/**
 * The lockfile as it is, for `ci` and `install --frozen-lockfile`: it must exist and match
 * package.json (npm ci's check), each difference listed once.
 */
export function lockfileMatchingProject(
  session: Pick<Session, 'config' | 'project' | 'workspaces'>,
  lockfile: Lockfile | undefined,
  command: string,
): Lockfile {
  if (!lockfile) {
    throw new ToteError('ENOLOCK', `${command} needs a package-lock.json in ${session.config.projectDir}`, {
      hint: 'Run `tote install` first to write one, and commit it.',
    })
  }
  const sync = isLockfileInSync(lockfile, session.project.manifest, {
    workspaces: session.workspaces,
    installLinks: session.config.get('install-links') === true,
  })
  if (!sync.inSync) {
    throw new ToteError(
      'ELOCKOUTOFSYNC',
      `package-lock.json does not match package.json:\n  ${sync.reasons.join('\n  ')}`,
      {
        hint: `Run \`tote install\`${command === 'tote ci' ? '' : ` without ${command}`} to update the lockfile, then commit it.`,
        details: { reasons: sync.reasons },
      },
    )
  }
  return lockfile
}

/**
 * npm's engine check of the tree (buildIdealTree's checkEngineAndPlatform): a package whose
 * engines.node this Node.js does not satisfy is a warning (EBADENGINE), or with engine-strict the
 * error, before anything is written; --force skips it, as npm's does. engines.npm is not checked.
 */
export function checkEngines(session: Pick<Session, 'config' | 'reporter'>, lockfile: Lockfile): void {
  const { config, reporter } = session
  if (config.get('force') === true) return
  const mismatches = unsupportedEngines(lockfile, process.version)
  const current = JSON.stringify({ node: process.version })
  const first = mismatches[0]
  if (first && config.get('engine-strict') === true) {
    throw new ToteError(
      'EBADENGINE',
      `Not compatible with your version of node: ${first.name}@${first.version} wants ${JSON.stringify(first.required)} (current: ${current})`,
      {
        hint: 'Use a Node.js version it supports, or turn engine-strict off to be warned only (npm installs it then).',
        details: { packages: mismatches.map((m) => `${m.name}@${m.version}`), current: process.version },
      },
    )
  }
  for (const m of mismatches) {
    reporter.warn({
      code: 'EBADENGINE',
      message: `Unsupported engine for ${m.name}@${m.version}: wanted: ${JSON.stringify(m.required)} (current: ${current})`,
    })
  }
}

/**
 * The cache folder must be writable for an install, or the first unpack fails deep in a worker
 * with a misleading error (a recursive mkdir on a read-only file system says ENOENT).
 */
export function checkCacheWritable(config: ToteConfig): void {
  try {
    mkdirSync(config.cacheDir, { recursive: true })
    accessSync(config.cacheDir, constants.W_OK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new ToteError(
      'ECACHEDIR',
      `The cache folder ${config.cacheDir} cannot be written (${code ?? String(error)})`,
      {
        hint: 'Point tote at a writable folder with --cache-dir (or TOTE_CACHE_DIR), or fix the permissions of that one.',
        cause: error,
        details: { path: config.cacheDir, ...(code ? { errno: code } : {}) },
      },
    )
  }
}
