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
