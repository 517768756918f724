// Colour in what tote prints: only the words `warn` and `error`, as npm colours them, and only where
// someone reads it. What the command line or npmrc says wins: `--no-color` (npm's `color` false)
// never colours, `--color=always` always does. Otherwise FORCE_COLOR (other than `0` or `false`)
// colours anywhere, NO_COLOR (non-empty) nowhere, and else only a terminal gets colour.

/** Whether to colour what goes to `stream`; `setting` is npm's `color` (true, false or `always`). */
export function colourOn(stream: { isTTY?: boolean }, setting: unknown = true): boolean {
  if (setting === false) return false
  if (setting === 'always') return true
  const force = process.env.FORCE_COLOR
  if (force !== undefined && force !== '0' && force !== 'false') return true
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false
  return stream.isTTY === true
}

export const yellow = (text: string, on: boolean) => (on ? `\x1b[33m${text}\x1b[39m` : text)
export const red = (text: string, on: boolean) => (on ? `\x1b[31m${text}\x1b[39m` : text)
