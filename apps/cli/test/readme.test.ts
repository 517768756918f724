import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { commands, globalOptions } from '../src/_commands.js'

const text = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
// The flags table: from the Flags heading to the next heading.
const readme = text.slice(text.indexOf('\n## Flags'), text.indexOf('\n## ', text.indexOf('\n## Flags') + 1))

describe('README', () => {
  it('lists every flag tote takes, with its kind', () => {
    const all = [globalOptions, ...commands.map((command) => command.options)]
    for (const options of all) {
      for (const [name, spec] of Object.entries(options)) {
        const row = readme
          .split('\n')
          .find(
            (line) =>
              line.startsWith('| `') && (line.includes(`--${name}\``) || line.includes(`--${name} <`)),
          )
        expect(row, `--${name}`).toBeDefined()
        expect(row).toMatch(new RegExp(`\\|\\s*${spec.kind}\\s*\\|`))
      }
    }
  })
})
