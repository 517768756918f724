import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { commands, globalOptions } from '../src/_commands.js'

const text = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
// The flags table: from the Flags heading to the next heading.
const readme = text.slice(text.indexOf('\n## Flags'), text.indexOf('\n## ', text.indexOf('\n## Flags') + 1))

describe('README', () => {
  it('lists every flag tote takes, with its kind', () => {
    const rows = readme.split('\n').filter((line) => line.startsWith('| `'))
    const cellsOf = (row: string) => row.split(/(?<!\\)\|/).map((cell) => cell.trim())
    const all = [
      { name: 'all', options: globalOptions },
      ...commands.map((command) => ({ name: command.name, options: command.options })),
    ]
    for (const command of all) {
      for (const [name, spec] of Object.entries(command.options)) {
        // A flag two commands read differently has a row per meaning: the one naming this command.
        const row = rows
          .filter((line) => line.includes(`--${name}\``) || line.includes(`--${name} <`))
          .find((line) => {
            const listed = cellsOf(line)[2]!
              .split(',')
              .map((item) => item.trim())
            return listed.includes(command.name) || listed.includes('all')
          })
        expect(row, `--${name} of ${command.name}`).toBeDefined()
        expect(cellsOf(row!)[3], `--${name} of ${command.name}`).toBe(spec.kind)
      }
    }
  })
})
