import { applyDependencies, dependencyMaps, removeDependencies } from '@tote/package-json'
import { packageNameProblem, ToteError } from '@tote/types'
import type { CommandContext } from '../_command-types.js'
import { fieldOf } from '../_deps.js'
import { runManaged, withMaps } from '../_manage.js'

/** The name of `name` or `name@version` (npm uninstall takes both, and drops the version). */
function nameOf(arg: string): string {
  const at = arg.indexOf('@', arg.startsWith('@') ? 1 : 0)
  const name = at === -1 ? arg : arg.slice(0, at)
  const problem = packageNameProblem(name)
  if (problem !== undefined) {
    throw new ToteError('EINVALIDPACKAGENAME', `Invalid package name ${JSON.stringify(name)}: ${problem}`, {
      hint: 'Give the names of dependencies as package.json lists them.',
      details: { spec: arg, usage: true },
    })
  }
  return name
}

/**
 * `tote remove <name...>` (rm, uninstall, un): takes the names out of every dependency map of
 * package.json, resolves, and removes from node_modules what nothing needs any more.
 */
export async function run(context: CommandContext): Promise<number> {
  if (context.positionals.length === 0) {
    throw new ToteError('EUSAGE', 'tote remove needs the names of the dependencies to remove.', {
      hint: 'Run `tote remove <name...>`.',
      details: { usage: true },
    })
  }
  const names = [...new Set(context.positionals.map(nameOf))]
  return runManaged(context, 'remove', ({ session, file }) => {
    const maps = dependencyMaps(file.content)
    removeDependencies(maps, names)
    const removed = names.flatMap((name) => {
      const field = fieldOf(file.content, name)
      return field ? [{ name, field }] : []
    })
    for (const name of names) {
      if (removed.some((item) => item.name === name)) continue
      session.reporter.warn({ code: 'ENOTDEPENDENCY', message: `${name} is not a dependency of the project` })
    }
    return {
      manifest: withMaps(session.project.manifest, maps as Record<string, unknown>),
      // npm saves package.json on every uninstall: its maps come back sorted, empty ones dropped
      save: () => ({ content: applyDependencies(file.content, maps), maps }),
      describe: () => ({
        lines: removed.map((item) => `removed ${item.name} from ${item.field}`),
        json: { removed },
      }),
    }
  })
}
