// The Quick start's first command: runs tote's main job on examples/hello.
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
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
// A fresh install each time: no lockfile, no node_modules (the cache in ~/.cache/tote is reused).
rmSync(join(example, 'node_modules'), { recursive: true, force: true })
rmSync(join(example, 'package-lock.json'), { force: true })
run([process.execPath, tote, 'install'])
run([process.execPath, tote, 'ci'])
run([process.execPath, 'index.js'])
