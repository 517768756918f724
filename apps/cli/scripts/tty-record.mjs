#!/usr/bin/env node
// Records `tote install` on a terminal and piped, for issue 18's output promises: on a terminal one
// live progress line, redrawn in place and gone at the end, then the summary; piped, plain lines and
// no escape codes. Usage (from the repository, with the CLI built; util-linux `script` on PATH):
//
//   node apps/cli/scripts/tty-record.mjs <project folder> [-- <tote install flags>]
//
// The project's package.json (and .npmrc, when it has one) are copied into two fresh folders; one
// installs under `script` (a pseudo-terminal), the other with stdout and stderr piped. Prints what
// each showed and exits 1 when a promise is not kept. The folders are left in the system's temporary
// folder (their node_modules can be large; delete them when the disk is idle).

import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const args = process.argv.slice(2)
const dash = args.indexOf('--')
const source = args[0]
const extra = dash === -1 ? ['--ignore-scripts'] : args.slice(dash + 1)
if (!source || source === '--') {
  console.error('usage: node tty-record.mjs <project folder> [-- <tote install flags>]')
  process.exit(2)
}
const tote = fileURLToPath(new URL('../bin/tote.js', import.meta.url))
const root = mkdtempSync(join(tmpdir(), 'tty-record-'))

function copy(name) {
  const dir = join(root, name)
  mkdirSync(dir)
  for (const file of ['package.json', '.npmrc']) {
    if (existsSync(join(resolve(source), file))) copyFileSync(join(resolve(source), file), join(dir, file))
  }
  return dir
}

const quote = (arg) => `'${arg.replaceAll("'", "'\\''")}'`
const line = [tote, 'install', ...extra].map(quote).join(' ')

// On a terminal: `script` gives tote a pseudo-terminal and copies what it wrote to our stdout.
const terminal = copy('terminal')
const recorded = spawnSync('script', ['-qfec', line, '/dev/null'], {
  cwd: terminal,
  encoding: 'utf8',
  env: { ...process.env, TERM: 'xterm' },
  maxBuffer: 1 << 28,
})
const raw = recorded.stdout
// Each redraw of the live line starts with `\r` and erase-line.
const frames = raw
  .split('\r\x1b[K')
  .slice(1)
  .map((frame) => frame.split(/[\r\n]/)[0])
const progress = frames.filter((frame) => /^(resolving|installing)/.test(frame))
const shown = screen(raw)
console.log(`## on a terminal (exit ${recorded.status}): ${raw.length} bytes written`)
console.log(`  live line drawn ${progress.length} times; some of them:`)
const picks = [
  ...new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((i) => Math.floor((i * (progress.length - 1)) / 11))),
]
for (const index of picks) if (progress[index] !== undefined) console.log(`    [${index}] ${progress[index]}`)
console.log('  the screen at the end:')
for (const text of shown) console.log(`    ${text}`)

// Piped: the same install in a fresh folder.
const piped = copy('piped')
const plain = spawnSync(tote, ['install', ...extra], { cwd: piped, encoding: 'utf8', maxBuffer: 1 << 28 })
const out = `${plain.stdout}${plain.stderr}`
const escapes = (out.match(/\x1b/g) ?? []).length
console.log(
  `\n## piped (exit ${plain.status}): ${out.length} bytes, ${escapes} escape characters, ${out.split('\n').length - 1} lines`,
)
for (const text of out.trim().split('\n')) console.log(`    ${text}`)

const kept =
  recorded.status === 0 &&
  plain.status === 0 &&
  progress.length > 1 &&
  !shown.some((text) => /^(resolving|installing)/.test(text)) &&
  /^(added|up to date)/.test(shown.at(-1) ?? '') &&
  escapes === 0
console.log(
  `\n${kept ? 'KEPT' : 'NOT KEPT'}: live line redrawn and cleared, summary last; piped without escape codes`,
)
process.exit(kept ? 0 : 1)

/** What a terminal shows at the end: each line as `\r` and erase-line leave it, colours aside. */
function screen(text) {
  return text
    .replaceAll('\r\n', '\n')
    .replace(/\x1b\[\d*m/g, '')
    .split('\n')
    .map((row) => {
      let last = ''
      for (const part of row.split('\r')) last = part.startsWith('\x1b[K') ? part.slice(3) : part
      return last
    })
    .filter((row) => row !== '')
}
