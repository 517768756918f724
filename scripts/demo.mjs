// The Quick start's first command: runs tote's main job on examples/hello.
import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const tote = join(root, 'apps', 'cli', 'bin', 'tote.js')
const example = join(root, 'examples', 'hello')

function run(args, cwd = example) {
  console.log(`> ${args.join(' ')}`)
  execFileSync(args[0], args.slice(1), { cwd, stdio: 'inherit' })
}

run([process.execPath, tote, '--version'])
run([process.execPath, tote, '--help'])
