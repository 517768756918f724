import { chmodSync, mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { isFile } from './_run.js'

// tote does not ship node-gyp: it runs npm's. Every Node installation comes with npm, and npm
// bundles node-gyp (its `node-gyp` setting points there by default), so a machine that can build
// an addon (Python, a compiler, make) has one. The `node-gyp` setting picks another.

/**
 * The node-gyp script to run (`…/node-gyp/bin/node-gyp.js`): npm's `node-gyp` setting when set,
 * else the one bundled with the npm that came with this Node (`<prefix>/lib/node_modules/npm`), or
 * with the npm on PATH, or a node-gyp on PATH. Undefined when there is none.
 */
export function findNodeGyp(options: {
  configured?: unknown
  env?: Record<string, string | undefined>
  execPath?: string
}): string | undefined {
  if (typeof options.configured === 'string' && options.configured !== '') return options.configured
  const execPath = options.execPath ?? process.execPath
  const bundled = (npmDir: string) => join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
  const candidates = [
    bundled(join(dirname(dirname(execPath)), 'lib', 'node_modules', 'npm')),
    bundled(join(dirname(execPath), 'node_modules', 'npm')),
  ]
  const path = options.env?.PATH ?? options.env?.Path ?? ''
  for (const folder of path.split(delimiter).filter(Boolean)) {
    const npm = realFile(join(folder, 'npm'))
    if (npm?.endsWith(join('bin', 'npm-cli.js'))) candidates.push(bundled(dirname(dirname(npm))))
  }
  for (const folder of path.split(delimiter).filter(Boolean)) {
    const nodeGyp = realFile(join(folder, 'node-gyp'))
    if (nodeGyp?.endsWith('.js')) candidates.push(nodeGyp)
  }
  return candidates.find(isFile)
}

function realFile(path: string): string | undefined {
  try {
    return realpathSync(path)
  } catch {
    return undefined
  }
}

/** The `node-gyp` command that scripts find on PATH: it runs `$npm_config_node_gyp` with this Node. */
export const NODE_GYP_SHIM = `#!/bin/sh
# Written by tote: runs the node-gyp that npm's node-gyp setting names (or npm's own).
if [ -z "$npm_config_node_gyp" ]; then
  echo "node-gyp was not found: install npm (it bundles node-gyp), or set node-gyp=<path to node-gyp.js> in .npmrc" >&2
  exit 127
fi
exec "\${npm_node_execpath:-node}" "$npm_config_node_gyp" "$@"
`

/**
 * Writes the node-gyp shim into `dir` (kept when it is already there as written) and returns
 * `dir`, for {@link ScriptRunnerOptions.nodeGypBinDir}.
 */
export function writeNodeGypShim(dir: string): string {
  const file = join(dir, 'node-gyp')
  try {
    if (readFileSync(file, 'utf8') === NODE_GYP_SHIM) return dir
  } catch {}
  mkdirSync(dir, { recursive: true })
  const temporary = `${file}.${process.pid}.tmp`
  writeFileSync(temporary, NODE_GYP_SHIM)
  chmodSync(temporary, 0o755)
  renameSync(temporary, file)
  return dir
}
