import { describe, expect, it } from 'vitest'
import { makeMachine } from './_fixture.js'

// npm's before and min-release-age as npm flattens them into one date.

const DAY = 86_400_000

describe('before and min-release-age', () => {
  it('are unset by default', async () => {
    const config = await makeMachine().load()
    expect(config.before).toBeUndefined()
    expect(config.releaseAgeExclude).toEqual([])
  })

  it('reads before as a date, and min-release-age as that many days before now', async () => {
    const m = makeMachine()
    m.projectRc('before=2024-03-01\n')
    expect((await m.load()).before?.toISOString()).toBe('2024-03-01T00:00:00.000Z')

    const aged = makeMachine()
    aged.projectRc(
      'min-release-age=7\nmin-release-age-exclude[]=@org/*,lib\nmin-release-age-exclude[]=other\n',
    )
    const config = await aged.load()
    const days = (Date.now() - config.before!.getTime()) / DAY
    expect(days).toBeGreaterThanOrEqual(7)
    expect(days).toBeLessThan(7.01)
    expect(config.releaseAgeExclude).toEqual(['@org/*', 'lib', 'other'])
  })

  it('takes the one set in the higher layer, before when both are in the same one', async () => {
    const same = makeMachine()
    same.projectRc('before=2024-03-01\nmin-release-age=7\n')
    expect((await same.load()).before?.toISOString()).toBe('2024-03-01T00:00:00.000Z')

    const flag = makeMachine()
    flag.projectRc('before=2024-03-01\n')
    const config = await flag.load({ flags: { 'min-release-age': '3' } })
    expect(Math.round((Date.now() - config.before!.getTime()) / DAY)).toBe(3)

    const user = makeMachine()
    user.userRc('min-release-age=3\n')
    user.projectRc('before=2024-03-01\n')
    expect((await user.load()).before?.toISOString()).toBe('2024-03-01T00:00:00.000Z')
  })

  it('min-release-age=0 turns the window off', async () => {
    const m = makeMachine()
    m.userRc('before=2024-03-01\n')
    m.projectRc('min-release-age=0\n')
    expect((await m.load()).before).toBeUndefined()
  })
})
