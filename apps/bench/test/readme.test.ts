import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseBenchArgs, splitWords } from '../src/_args.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
// A command continued on the next lines (`\` at a line's end) is one command.
const commands = readme
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line.startsWith('node apps/bench/bin/pm-bench.js'))

describe('README', () => {
  it('has reproduction commands, and every one of them parses', () => {
    // A repository next to shared/fixtures, as on the benchmark machine.
    const root = mkdtempSync(join(tmpdir(), 'pm-bench-readme-'))
    for (const name of ['vite-react-ts', 'ant-design']) {
      mkdirSync(join(root, 'shared', 'fixtures', name), { recursive: true })
      writeFileSync(join(root, 'shared', 'fixtures', name, 'package.json'), '{}')
    }
    mkdirSync(join(root, 'main'))
    // The fixtures kept in the repository.
    const kept = join(root, 'main', 'apps', 'bench', 'fixtures')
    mkdirSync(join(kept, 'npm-cli-9.2.0'), { recursive: true })
    writeFileSync(join(kept, 'npm-cli-9.2.0', 'package.json'), '{}')
    // The other build `--build before=../tote-before` names: a checkout next to this one.
    mkdirSync(join(root, 'tote-before', 'apps', 'cli', 'bin'), { recursive: true })
    writeFileSync(join(root, 'tote-before', 'apps', 'cli', 'bin', 'tote.js'), '')
    const environment = {
      repoRoot: join(root, 'main'),
      cwd: join(root, 'main'),
      home: join(root, 'home'),
      env: {},
    }
    expect(commands.length).toBeGreaterThanOrEqual(7)
    for (const command of commands) {
      const argv = splitWords(command.replace(/#.*$/, '')).slice(2)
      const options = parseBenchArgs(argv, environment)
      const dir = options.fixture.dir
      expect(dir.startsWith(join(root, 'shared', 'fixtures')) || dir.startsWith(kept)).toBe(true)
    }
  })

  it('documents every flag of the usage text', async () => {
    const { USAGE } = await import('../src/_args.js')
    const flags = [...USAGE.matchAll(/--[a-z-]+/g)].map((match) => match[0])
    for (const flag of new Set(flags)) expect(readme).toContain(`\`${flag}`)
  })
})
