import { expect, it } from 'vitest'
import { isToteError, ToteError } from '../src/index.js'

it('README example: a ToteError with a hint and details', () => {
  const error = new ToteError('ETARGET', 'No version of left-pad matches ^9.0.0', {
    hint: 'Available: 1.3.0, 1.2.0',
    details: { name: 'left-pad', range: '^9.0.0' },
  })
  expect(isToteError(error)).toBe(true)
  expect(error.details).toEqual({ name: 'left-pad', range: '^9.0.0' })
})

it('README: the table of error codes holds the codes of the list, each once', async () => {
  const { readFileSync } = await import('node:fs')
  const { SYSTEM_FAULT_CODES, TOTE_ERROR_CODES } = await import('../src/index.js')
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const section = readme.slice(readme.indexOf('### Error codes'))
  const tables = section.split('\n\n').filter((block) => block.startsWith('|'))
  const codesOf = (table: string | undefined) =>
    (table ?? '').split('\n').flatMap((line) => /^\| `(E[A-Z0-9]+)`/.exec(line)?.[1] ?? [])
  expect(codesOf(tables[0])).toEqual([...TOTE_ERROR_CODES])
  expect(codesOf(tables[1])).toEqual([...SYSTEM_FAULT_CODES])
})
