import { join } from 'node:path'
import { loadConfig } from '@tote/config'
import { readLockfile, readProjectManifest, stringifyLockfile, writeLockfile } from '@tote/lockfile'
import { createRegistryClient } from '@tote/registry-client'
import { createResolver } from '@tote/resolver'
import { ToteError } from '@tote/types'
import type { CommandContext } from '../_commands.js'
import { configFlags, createReporterFor } from '../_context.js'
import { registryClientOptions } from '../_stages.js'

/** `tote install`: resolve (reusing an up-to-date lockfile), write package-lock.json, then install. */
export async function run(context: CommandContext): Promise<number> {
  const lockfileOnly = context.values['lockfile-only'] === true || context.values['package-lock-only'] === true
  if (!lockfileOnly) {
    throw new ToteError('ENOTYET', 'tote install can only resolve so far (installing node_modules comes next).', {
      hint: 'Run `tote install --lockfile-only` to write package-lock.json.',
    })
  }
  const started = performance.now()
  const reporter = createReporterFor(context)
  const config = await loadConfig({ cwd: context.cwd, flags: configFlags(context.values) })
  const project = await readProjectManifest(config.projectDir)
  const lockPath = join(config.projectDir, 'package-lock.json')
  const existing = await readLockfile(lockPath)
  const before = existing === undefined ? undefined : stringifyLockfile(existing, project.format)

  const client = createRegistryClient(
    registryClientOptions(config, (event) => {
      if (event.type === 'request-start') reporter.progress.inFlight++
      else if (event.type === 'request-end') {
        reporter.progress.inFlight--
        reporter.debug(`GET ${event.url} ${event.status} ${event.bytes} B ${Math.round(event.ms)} ms`)
      } else if (event.type === 'retry') {
        reporter.debug(`retry ${event.attempt} of ${event.url} in ${event.delay} ms: ${event.reason}`)
      }
      reporter.update()
    }),
  )
  try {
    const resolver = createResolver(
      { getPackument: client.getPackument },
      {
        legacyPeerDeps: config.legacyPeerDeps,
        registryFor: config.registryFor,
        omitLockfileRegistryResolved: config.omitLockfileRegistryResolved,
        onEvent(event) {
          if (event.type === 'progress') {
            reporter.progress.resolved = event.resolved
            reporter.update()
          } else if (event.type === 'warning') {
            reporter.warn({ code: event.code, message: `${event.message} (${event.chain.join(' > ')})` })
          }
        },
      },
    )
    reporter.phase('resolving')
    const { lockfile, stats } = await resolver.resolve(project.manifest, { lockfile: existing })
    const text = stringifyLockfile(lockfile, project.format)
    const lockChanged = text !== before
    if (lockChanged) await writeLockfile(lockPath, lockfile, project.format)
    reporter.stop()
    const seconds = ((performance.now() - started) / 1000).toFixed(2)
    const what = lockChanged ? 'wrote package-lock.json' : 'package-lock.json is up to date'
    reporter.info(
      `resolved ${stats.packages} packages (${stats.packuments} packuments) in ${seconds}s; ${what}`,
    )
    return 0
  } finally {
    reporter.stop()
    await client.close()
  }
}
