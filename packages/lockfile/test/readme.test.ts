import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import {
  detectJsonFormat,
  hiddenLockfile,
  isLockfileInSync,
  parseLockfile,
  readLockfile,
  stringifyLockfile,
  writeLockfile,
} from '../src/index.js'

// README example text start
const text = `{
  "name": "app",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "app",
      "version": "1.0.0",
      "dependencies": {
        "is-number": "^7.0.0"
      }
    },
    "node_modules/is-number": {
      "version": "7.0.0",
      "resolved": "http://127.0.0.1:4873/is-number/-/is-number-7.0.0.tgz",
      "integrity": "sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==",
      "license": "MIT",
      "engines": {
        "node": ">=0.12.0"
      }
    }
  }
}
`
// README example text end

const README = new URL('../README.md', import.meta.url)
const TEXT = /\/\/ README example text start\n([\s\S]*?)\/\/ README example text end/
const EXAMPLE = /\/\/ README example start\n([\s\S]*?)\n {2}\/\/ README example end/

it('runs the README example', async () => {
  // README example start
  const folder = await mkdtemp(join(tmpdir(), 'tote-lockfile-readme-'))
  const lockfile = parseLockfile(text, { path: 'package-lock.json' })
  expect(stringifyLockfile(lockfile)).toBe(text)

  // Same data, keys inserted in another order: same bytes.
  const { packages, ...top } = lockfile
  expect(stringifyLockfile({ packages, ...top })).toBe(text)

  expect(isLockfileInSync(lockfile, { dependencies: { 'is-number': '^7.0.0' } })).toEqual({
    inSync: true,
    reasons: [],
  })
  expect(isLockfileInSync(lockfile, { dependencies: { 'is-number': '^6.0.0' } }).reasons).toEqual([
    'package.json wants is-number ^6.0.0 in dependencies but the lockfile was made for ^7.0.0',
  ])

  // npm lays the lockfile out like package.json: pass its indent and newline when writing.
  const path = join(folder, 'package-lock.json')
  await writeLockfile(path, lockfile, detectJsonFormat('{\n\t"name": "app"\n}\n'))
  expect(await readFile(path, 'utf8')).toBe(text.replaceAll('  ', '\t'))
  expect(await readLockfile(path)).toEqual(lockfile)
  expect(await readLockfile(join(folder, 'missing.json'))).toBeUndefined()

  // node_modules/.package-lock.json after installing everything: no root entry.
  expect(Object.keys(hiddenLockfile(lockfile).packages)).toEqual(['node_modules/is-number'])
  // README example end
  await rm(folder, { recursive: true, force: true })
})

it('shows the same example in README.md', async () => {
  const test = await readFile(new URL(import.meta.url), 'utf8')
  const readme = await readFile(README, 'utf8')
  const textBlock = TEXT.exec(test)?.[1]
  const example = EXAMPLE.exec(test)?.[1]
  expect(textBlock).toContain('"lockfileVersion": 3')
  expect(example).toContain('parseLockfile(text')
  // The example is indented inside the test; the README shows it without that indent.
  const unindented = example!
    .split('\n')
    .map((line) => line.replace(/^ {2}/, ''))
    .join('\n')
  expect(readme).toContain(textBlock!)
  expect(readme).toContain(unindented)
})
