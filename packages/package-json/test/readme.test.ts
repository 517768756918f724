import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import * as api from '../src/index.js'

// Runs the README's example as written: its code between the markers, the expected text from its last comment.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const example = readme.slice(
  readme.indexOf('// README example start'),
  readme.indexOf('// README example end'),
)

it('the README example does what it says', () => {
  const expected = JSON.parse(`"${/\n\/\/ '(.*)'\n$/.exec(example)![1]!.replaceAll('"', '\\"')}"`) as string
  const body = `${example}\nreturn text`
  const run = new Function(...Object.keys(api), body) as (...args: unknown[]) => string
  expect(run(...Object.values(api))).toBe(expected)
})
