// Sets up a fresh checkout with nothing but Node.js and npm: installs the pinned pnpm through npx,
// installs the workspace from the committed lockfile, and builds every package (turbo caches builds).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' }
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx'

function run(command, args) {
  console.log(`> ${command} ${args.join(' ')}`)
  execFileSync(command, args, { cwd: root, stdio: 'inherit', env })
}

run(npx, ['-y', packageManager, 'install', '--frozen-lockfile'])
run(join(root, 'node_modules', '.bin', 'turbo'), ['run', 'build', '--output-logs=errors-only'])
