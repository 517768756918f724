// A structural scanner for JSON bytes: where strings, values and object members start and end,
// without decoding or building anything. It trusts the document as far as finding ends goes (a
// value it only skips is not validated); whatever is read from the ranges goes through JSON.parse.

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d
const COLON = 0x3a
const COMMA = 0x2c

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09
}

/** The first index at or after `index` that is not JSON whitespace. */
export function skipSpace(bytes: Uint8Array, index: number, end: number): number {
  while (index < end && isSpace(bytes[index])) index++
  return index
}

/** The index after the string whose opening quote is at `start`; -1 when it does not end. */
export function stringEnd(bytes: Uint8Array, start: number, end: number): number {
  let index = start + 1
  while (index < end) {
    const byte = bytes[index++]
    if (byte === QUOTE) return index
    if (byte === BACKSLASH) index++
  }
  return -1
}

/** The index after the value that starts at `start` (no whitespace before it); -1 when it does not end. */
export function valueEnd(bytes: Uint8Array, start: number, end: number): number {
  const first = bytes[start]
  if (first === QUOTE) return stringEnd(bytes, start, end)
  if (first !== OPEN_OBJECT && first !== OPEN_ARRAY) {
    // A number, true, false or null: up to the next delimiter.
    let index = start
    while (index < end) {
      const byte = bytes[index]
      if (byte === COMMA || byte === CLOSE_OBJECT || byte === CLOSE_ARRAY || isSpace(byte)) break
      index++
    }
    return index === start ? -1 : index
  }
  // The hot loop (every byte of every version goes through it): brackets are counted, strings
  // skipped; whether each closing bracket matches its opening one is left to JSON.parse.
  let depth = 0
  let index = start
  while (index < end) {
    const byte = bytes[index++]
    if (byte === QUOTE) {
      for (;;) {
        if (index >= end) return -1
        const inner = bytes[index++]
        if (inner === QUOTE) break
        if (inner === BACKSLASH) index++
      }
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) depth++
    else if ((byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) && --depth === 0) return index
  }
  return -1
}

/**
 * Walks the members of the object that starts at `start`. For each member, `visit` gets the range
 * of its key (quotes included), the start of its value, and whether the key has an escape (so it
 * must be decoded to be read), and returns the index after the value (it may skip it with
 * {@link valueEnd} or walk into it), or -1 to give up. Returns the index after the closing brace,
 * or -1 when the bytes are not an object of that shape.
 */
export function walkMembers(
  bytes: Uint8Array,
  start: number,
  end: number,
  visit: (keyStart: number, keyEnd: number, valueStart: number, keyEscaped: boolean) => number,
): number {
  if (bytes[start] !== OPEN_OBJECT) return -1
  let index = skipSpace(bytes, start + 1, end)
  if (bytes[index] === CLOSE_OBJECT) return index + 1
  for (;;) {
    if (bytes[index] !== QUOTE) return -1
    // The key's end, noting an escape on the way (stringEnd, with one more thing to tell).
    let keyEnd = index + 1
    let keyEscaped = false
    for (;;) {
      if (keyEnd >= end) return -1
      const byte = bytes[keyEnd++]
      if (byte === QUOTE) break
      if (byte === BACKSLASH) {
        keyEscaped = true
        keyEnd++
      }
    }
    const colon = skipSpace(bytes, keyEnd, end)
    if (bytes[colon] !== COLON) return -1
    const valueStart = skipSpace(bytes, colon + 1, end)
    if (valueStart >= end) return -1
    const after = visit(index, keyEnd, valueStart, keyEscaped)
    if (after === -1) return -1
    index = skipSpace(bytes, after, end)
    const next = bytes[index]
    if (next === CLOSE_OBJECT) return index + 1
    if (next !== COMMA) return -1
    index = skipSpace(bytes, index + 1, end)
  }
}
