/** Arithmetic mean; NaN for no values. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  let sum = 0
  for (const value of values) sum += value
  return sum / values.length
}

/**
 * Sample standard deviation (n − 1), the spread a reader can expect between rounds.
 * One value has no spread to estimate: 0.
 */
export function sampleStddev(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  if (values.length === 1) return 0
  const average = mean(values)
  let squares = 0
  for (const value of values) squares += (value - average) ** 2
  return Math.sqrt(squares / (values.length - 1))
}

/** The middle value (the mean of the two middle ones for an even count); NaN for no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

export interface Summary {
  mean: number
  stddev: number
  median: number
  min: number
  max: number
  count: number
}

export function summarize(values: readonly number[]): Summary {
  return {
    mean: mean(values),
    stddev: sampleStddev(values),
    median: median(values),
    min: values.length === 0 ? Number.NaN : Math.min(...values),
    max: values.length === 0 ? Number.NaN : Math.max(...values),
    count: values.length,
  }
}
