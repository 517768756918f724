import { describe, expect, it } from 'vitest'
import { mean, median, sampleStddev, summarize } from '../src/_stats.js'

describe('statistics', () => {
  it('computes the mean and the sample standard deviation', () => {
    expect(mean([2, 4, 4, 4, 5, 5, 7, 9])).toBe(5)
    // Sum of squared deviations is 32; with n − 1 = 7: sqrt(32 / 7).
    expect(sampleStddev([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12)
  })

  it('gives one value no spread and no values NaN', () => {
    expect(sampleStddev([3.2])).toBe(0)
    expect(mean([])).toBeNaN()
    expect(sampleStddev([])).toBeNaN()
  })

  it('summarizes min, max and count', () => {
    expect(summarize([3, 1, 2])).toEqual({ mean: 2, stddev: 1, median: 2, min: 1, max: 3, count: 3 })
  })

  it('takes the middle value as the median, or the mean of the two middle ones', () => {
    expect(median([5, 1, 3])).toBe(3)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBeNaN()
  })
})
