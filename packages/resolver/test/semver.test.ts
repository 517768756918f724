import semver from 'semver'
import { describe, expect, it } from 'vitest'
import { mayMatch, parseRange, sortVersionsDescending } from '../src/_semver.js'

const versions = [
  '0.0.1',
  '0.1.0',
  '0.1.5',
  '1.0.0-alpha',
  '1.0.0-alpha.1',
  '1.0.0-beta.2',
  '1.0.0-rc.1',
  '1.0.0',
  '1.0.1',
  '1.2.3-beta',
  '1.2.3',
  '1.2.4-alpha.0',
  '1.2.4',
  '1.3.0',
  '1.10.0',
  '2.0.0-0',
  '2.0.0-rc.1',
  '2.0.0',
  '2.1.0',
  '3.0.0-next.5',
  '3.0.0',
  '10.0.0',
  'v4.0.0',
  '=4.1.0',
  '5.0.0+build.7',
  '5.0.1-x.7.z.92',
]
const ranges = [
  '*',
  '',
  'latest-ish',
  '^1.2.3',
  '~1.2.3',
  '1.2.3',
  '=1.2.3',
  '1.2',
  '1.x',
  '1',
  '>=1.0.0',
  '>1.2.3',
  '<2.0.0',
  '<=1.2.3',
  '1.0.0 - 2.0.0',
  '^1.0.0 || ^2.0.0',
  '>=1.0.0-alpha <1.0.0',
  '^1.2.3-beta',
  '~2.0.0-0',
  '>=2.0.0-rc.0',
  '^0.1.0',
  '^0.0.1',
  '~0.1',
  '>=3.0.0-next.0 <3.0.1',
  '^2 || 1.2.4-alpha.0',
  '>1.0.0 <1.0.0',
  '4.x',
  '^5.0.0',
  '>=5.0.1-x.0',
]

describe('mayMatch', () => {
  it('never rules out a version semver says satisfies a range', () => {
    let ruledOut = 0
    for (const text of ranges) {
      const range = parseRange(text)
      if (!range) continue
      for (const key of sortVersionsDescending(versions)) {
        const satisfies = semver.satisfies(key.raw, text, { loose: true })
        const may = mayMatch(range, key)
        if (satisfies) expect(may, `${key.raw} in ${text}`).toBe(true)
        if (!may) ruledOut++
      }
    }
    // and it does rule versions out: that is what it is for
    expect(ruledOut).toBeGreaterThan(100)
  })

  it('rules out what is plainly outside a range, and prereleases a range does not name', () => {
    const [two] = sortVersionsDescending(['2.0.0'])
    const [pre] = sortVersionsDescending(['1.3.0-beta.1'])
    expect(mayMatch(parseRange('^1.2.3')!, two!)).toBe(false)
    expect(mayMatch(parseRange('^1.2.3')!, pre!)).toBe(false)
    expect(mayMatch(parseRange('^1.3.0-beta.0')!, pre!)).toBe(true)
  })
})

describe('satisfies on simple ranges', () => {
  const ranges = [
    '1.2.3',
    '=1.2.3',
    'v1.2.3',
    ' 1.2.3 ',
    '^1.2.3',
    '^ 1.2.3',
    '^0.1.0',
    '^0.0.1',
    '^0.0.0',
    '~1.2.3',
    '~0.0.1',
    '~ 0.1.5',
    '>=1.0.0',
    '>= 1.2.4',
    '^1.0.0-alpha',
    '^1.x',
    '1.2',
    '*',
    '^1.2.3 || ^2.0.0',
  ]
  const tested = [...versions, 'v1.2.3', '=1.2.3', ' 1.2.3', '1.2.3+build.5', '1.2.3beta', '01.2.3']
  it('answers as semver does, for every version', async () => {
    const { satisfies, isSimpleRange } = await import('../src/_semver.js')
    for (const range of ranges) {
      for (const version of tested) {
        const expected = semver.valid(version, true) !== null && semver.satisfies(version, range, true)
        expect(`${version} ${range} ${satisfies(version, range)}`).toBe(`${version} ${range} ${expected}`)
      }
      // a simple range is one semver reads as valid
      if (isSimpleRange(range)) expect(semver.validRange(range, true)).not.toBeNull()
    }
    expect(ranges.filter(isSimpleRange)).toHaveLength(14)
  })
})
