import { spawn } from 'node:child_process'
import { realpathSync } from 'node:fs'
import type { ToteConfig } from '@tote/config'
import { readManifest, resolvePolicy, type UnreviewedMode, verdictFor } from '@tote/scripts'
import { type ProjectManifest, redactUrl, redactUrlsIn, ToteError } from '@tote/types'

// A git dependency's preparation, as npm's git fetcher (pacote's GitFetcher) does it before packing:
// when its package.json has build scripts or workspaces, its dependencies (dev ones too) are
// installed in a checkout of the commit, which runs its prepare, and the folder is packed. tote does
// it only for a dependency the allowScripts policy trusts (npm does it for every one); an untrusted
// one is packed from the commit as it is, and the install names it among the skipped scripts.

/** Decides and runs the preparation of git dependencies for one install. */
export interface GitPreparer {
  /** Whether the git dependency at `resolved` (`git+…#<commit>`) may run its scripts to be packed. */
  mayPrepare(resolved: string): boolean
  /** Installs the checkout's dependencies in `dir` (which runs its prepare), as `npm install` there. */
  prepare(dir: string, resolved: string, signal?: AbortSignal): Promise<void>
}

/** The variable that carries the git dependencies being prepared, outermost first, to nested runs. */
const PREPARING = 'TOTE_GIT_PREPARING'

/** pacote's test: a git dependency is prepared when it has any of these scripts, or workspaces. */
export function needsPrepare(manifest: ProjectManifest): boolean {
  const scripts = (manifest.scripts ?? {}) as Record<string, unknown>
  if (manifest.workspaces !== undefined) return true
  return ['postinstall', 'build', 'preinstall', 'install', 'prepack', 'prepare'].some(
    (event) => typeof scripts[event] === 'string' && scripts[event] !== '',
  )
}

export function createGitPreparer(
  deps: { config: ToteConfig },
  options: { manifest?: Record<string, unknown> | undefined; unreviewed?: UnreviewedMode | undefined } = {},
): GitPreparer {
  const { config } = deps
  const preparing = (process.env[PREPARING] ?? '').split('\n').filter(Boolean)
  let policy: ReturnType<typeof resolvePolicy> | undefined
  const policyNow = () => {
    // the same policy the install's scripts run under (its warnings are shown there)
    policy ??= resolvePolicy({
      manifest: options.manifest ?? readManifest(config.projectDir) ?? {},
      allowScripts: { value: config.get('allow-scripts'), layer: config.layerOf('allow-scripts') },
      ignoreScripts: config.ignoreScripts,
      dangerouslyAllowAllScripts: config.get('dangerously-allow-all-scripts') === true,
      strictAllowScripts: config.get('strict-allow-scripts') === true,
      unreviewed: options.unreviewed ?? 'skip',
    })
    return policy
  }
  return {
    mayPrepare(resolved) {
      // npm's guard against a cycle of git dependencies preparing one another
      if (preparing.includes(resolved)) return false
      const current = policyNow()
      const verdict = verdictFor({ path: '', resolved, registry: false }, current)
      return verdict === 'run' || (verdict === 'unreviewed' && current.unreviewed === 'run')
    },

    prepare(dir, resolved, signal) {
      const args = [toteEntry(), 'install', '--include=dev', '--include=optional', '--include=peer']
      const registry = config.get('registry')
      if (typeof registry === 'string' && registry !== '') args.push('--registry', registry)
      if (config.offline) args.push('--offline')
      else if (config.preferOffline) args.push('--prefer-offline')
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, args, {
          cwd: dir,
          env: {
            ...process.env,
            TOTE_CACHE_DIR: config.cacheDir,
            [PREPARING]: [...preparing, resolved].join('\n'),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
          ...(signal ? { signal } : {}),
        })
        const output: Buffer[] = []
        child.stdout.on('data', (chunk: Buffer) => output.push(chunk))
        child.stderr.on('data', (chunk: Buffer) => output.push(chunk))
        child.on('error', reject)
        child.on('close', (code, killed) => {
          if (code === 0) return resolve()
          const shown = redactUrl(resolved)
          const tail = redactUrlsIn(
            Buffer.concat(output).toString('utf8').trimEnd().split('\n').slice(-20).join('\n'),
          )
          reject(
            new ToteError(
              'ESCRIPTFAILED',
              `Preparing the git dependency ${shown} failed: installing its dependencies and running its prepare in a checkout ${killed ? `ended by ${killed}` : `exited with ${code}`}\n${tail}`,
              {
                hint: 'Fix its prepare script (or its dependencies) in that repository, or take it off allowScripts to install it as committed, unprepared.',
                details: { resolved: shown, code, signal: killed },
              },
            ),
          )
        })
      })
    },
  }
}

/** This tote's entry script, to run it again in a checkout. */
function toteEntry(): string {
  const script = process.argv[1] ?? ''
  try {
    return realpathSync(script)
  } catch {
    return script
  }
}
