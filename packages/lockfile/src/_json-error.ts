// Where a JSON text goes wrong. V8's JSON.parse names the offset for most errors ("… in JSON at
// position 42"), but not for an unexpected token or an early end in Node 20, so a small scanner
// finds the first offending character when the message does not say.

/** A place in a text, 1-based, columns counted in UTF-16 code units like editors do. */
export interface TextLocation {
  line: number
  column: number
}

class SyntaxErrorAt {
  constructor(readonly index: number) {}
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r'])
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't'])
const HEX = /^[0-9a-fA-F]{4}$/
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y

/** The index of the first character that makes `text` invalid JSON, or -1 when it is valid. */
export function findJsonErrorIndex(text: string): number {
  let at = 0
  const fail = (index = at): never => {
    throw new SyntaxErrorAt(index)
  }
  const skipWhitespace = (): void => {
    while (at < text.length && WHITESPACE.has(text[at]!)) at++
  }
  const expect = (char: string): void => {
    if (text[at] !== char) fail()
    at++
  }
  const string = (): void => {
    expect('"')
    while (at < text.length) {
      const char = text[at]!
      if (char === '"') {
        at++
        return
      }
      if (char === '\\') {
        const escaped = text[at + 1]
        if (escaped === 'u') {
          if (!HEX.test(text.slice(at + 2, at + 6))) fail(at + 1)
          at += 6
        } else if (escaped !== undefined && ESCAPES.has(escaped)) at += 2
        else fail(at + 1)
      } else if (char < ' ') fail()
      else at++
    }
    fail(text.length)
  }
  const literal = (word: string): void => {
    for (const char of word) expect(char)
  }
  const sequence = (close: string, item: () => void): void => {
    at++
    skipWhitespace()
    if (text[at] === close) {
      at++
      return
    }
    for (;;) {
      item()
      skipWhitespace()
      if (text[at] === close) {
        at++
        return
      }
      expect(',')
    }
  }
  const value = (): void => {
    skipWhitespace()
    const char = text[at]
    if (char === '{') {
      sequence('}', () => {
        skipWhitespace()
        string()
        skipWhitespace()
        expect(':')
        value()
      })
    } else if (char === '[') sequence(']', value)
    else if (char === '"') string()
    else if (char === 't') literal('true')
    else if (char === 'f') literal('false')
    else if (char === 'n') literal('null')
    else if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) {
      NUMBER.lastIndex = at
      const match = NUMBER.exec(text)
      // A lone "-" or "1." stops the match early; the next character is then the offender.
      at = match === null ? at + 1 : at + match[0].length
      if (match === null) fail(at)
    } else fail()
  }
  try {
    value()
    skipWhitespace()
    if (at < text.length) fail()
    return -1
  } catch (error) {
    if (error instanceof SyntaxErrorAt) return Math.min(error.index, text.length)
    throw error
  }
}

/** The 1-based line and column of `index` in `text`. */
export function locationOf(text: string, index: number): TextLocation {
  let line = 1
  let lineStart = 0
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) {
    line++
    lineStart = i + 1
  }
  return { line, column: index - lineStart + 1 }
}

/** V8's description of a JSON.parse failure, without the position and the quoted input. */
export function describeJsonError(message: string): { reason: string; position: number | undefined } {
  const positioned = /^(.*?) in JSON at position (\d+)/s.exec(message)
  if (positioned !== null) return { reason: positioned[1]!, position: Number(positioned[2]) }
  const token = /^(Unexpected token '.+?'),/s.exec(message)
  if (token !== null) return { reason: token[1]!, position: undefined }
  return { reason: message, position: undefined }
}
