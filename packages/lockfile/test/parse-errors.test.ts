import { isToteError, type ToteError } from '@tote/types'
import { describe, expect, it } from 'vitest'
import { findJsonErrorIndex, locationOf } from '../src/_json-error.js'
import { parseLockfile } from '../src/index.js'
import { fixtureText, seededRandom } from './_fixtures.js'

const FILE = '/project/package-lock.json'

function parseError(text: string): ToteError {
  try {
    parseLockfile(text, { path: FILE })
  } catch (error) {
    if (isToteError(error)) return error
    throw error
  }
  throw new Error('parseLockfile accepted the text')
}

function lockfileText(packages: string): string {
  return `{\n  "name": "app",\n  "lockfileVersion": 3,\n  "requires": true,\n  "packages": ${packages}\n}\n`
}

describe('parseLockfile errors', () => {
  it.each([
    [
      'a trailing comma',
      '{\n  "lockfileVersion": 3,\n  "packages": {},\n}\n',
      4,
      1,
      'Expected double-quoted property name',
    ],
    ['a missing comma', '{\n  "lockfileVersion": 3\n  "packages": {}\n}\n', 3, 3, "Expected ',' or '}'"],
    [
      'an unexpected token',
      '{\n  "lockfileVersion": 3,\n  "packages": }\n}\n',
      3,
      15,
      "Unexpected token '}'",
    ],
    ['a cut-off file', '{\n  "lockfileVersion": 3,\n  "packages": ', 3, 15, 'Unexpected end of JSON input'],
    ['a cut-off string', '{\n  "lockfileVersion": 3,\n  "packages": {"a', 3, 18, 'Unterminated string'],
    ['a bad literal', '{\n  "requires": tru,\n  "packages": {}\n}', 2, 18, "Unexpected token ','"],
    [
      'text after the object',
      '{"lockfileVersion": 3, "packages": {}}\nextra',
      2,
      1,
      'Unexpected non-whitespace',
    ],
  ])('reports %s with file, line and column', (_label, text, line, column, reason) => {
    const error = parseError(text)
    expect(error.code).toBe('ELOCKFILE')
    expect(error.message).toContain(FILE)
    expect(error.message).toContain(`line ${line}, column ${column}`)
    expect(error.message).toContain(reason)
    expect(error.details).toMatchObject({ path: FILE, line, column })
  })

  it('recognises merge conflict markers', () => {
    const text =
      '{\n  "lockfileVersion": 3,\n<<<<<<< HEAD\n  "packages": {}\n=======\n  "packages": {"": {}}\n>>>>>>> b\n}\n'
    const error = parseError(text)
    expect(error.message).toBe(`${FILE}: has unresolved merge conflict markers (line 3, column 1)`)
    expect(error.hint).toMatch(/Resolve the conflict/)
  })

  it.each([
    ['an empty file', '  \n', 'the file is empty'],
    ['an array', '[]', 'must hold a JSON object, found an array'],
    ['no lockfileVersion', '{"packages": {}}', 'has no lockfileVersion'],
    [
      'an unknown lockfileVersion',
      '{"lockfileVersion": 4, "packages": {}}',
      'has an unsupported lockfileVersion 4; tote reads versions 1, 2 and 3 (line 1, column 2)',
    ],
    [
      'a string lockfileVersion',
      '{"lockfileVersion": "3", "packages": {}}',
      'has an unsupported lockfileVersion "3"; tote reads versions 1, 2 and 3 (line 1, column 2)',
    ],
    ['no packages', '{"lockfileVersion": 3}', 'has no "packages" section'],
    [
      'packages that are an array',
      '{"lockfileVersion": 3, "packages": []}',
      '"packages" must be an object, found an array (line 1, column 24)',
    ],
  ])('rejects %s', (_label, text, message) => {
    const error = parseError(text)
    expect(error.code).toBe('ELOCKFILE')
    expect(error.message).toBe(`${FILE}: ${message}`)
  })

  it('rejects a version 1 lockfile whose dependencies are not an object', () => {
    const error = parseError('{"name": "app", "lockfileVersion": 1, "dependencies": []}')
    expect(error.message).toBe(
      `${FILE}: "dependencies" must be an object, found an array (line 1, column 39)`,
    )
  })

  it('points at an entry that is not an object', () => {
    const error = parseError(lockfileText('{\n    "": {},\n    "node_modules/a": "1.0.0"\n  }'))
    expect(error.message).toBe(
      `${FILE}: packages["node_modules/a"] must be an object, found string "1.0.0" (line 7, column 5)`,
    )
  })

  it('points at an entry whose version is not a string', () => {
    const error = parseError(lockfileText('{\n    "node_modules/a": {\n      "version": 1\n    }\n  }'))
    expect(error.message).toBe(
      `${FILE}: packages["node_modules/a"].version must be a string, found number 1 (line 6, column 5)`,
    )
  })

  it('points at a dependency map with a non-string range', () => {
    const error = parseError(lockfileText('{\n    "node_modules/a": {"dependencies": {"b": 2}}\n  }'))
    expect(error.message).toContain(
      'packages["node_modules/a"].dependencies["b"] must be a string, found number 2',
    )
    expect(error.message).toContain('(line 6, column 5)')
  })

  it('names package-lock.json when no path is given', () => {
    expect(() => parseLockfile('{')).toThrow(/^package-lock\.json: invalid JSON: .*\(line 1, column 2\)$/)
  })
})

describe('findJsonErrorIndex', () => {
  it('agrees with JSON.parse on valid text and on every position V8 reports', () => {
    const base = fixtureText('tabs-crlf')
    const random = seededRandom(42)
    const noise = ['{', '}', '[', ']', ',', ':', '"', '\\', '-', '0', '1', 'e', '.', 't', 'n', ' ', '\u0001']
    let compared = 0
    for (let round = 0; round < 400; round++) {
      const at = Math.floor(random() * base.length)
      const text =
        random() < 0.5
          ? base.slice(0, at) + base.slice(at + 1 + Math.floor(random() * 3))
          : base.slice(0, at) + noise[Math.floor(random() * noise.length)] + base.slice(at)
      let v8Position: number | undefined
      let valid = true
      try {
        JSON.parse(text)
      } catch (error) {
        valid = false
        const match = / at position (\d+)/.exec((error as Error).message)
        if (match !== null) v8Position = Number(match[1])
      }
      const found = findJsonErrorIndex(text)
      if (valid) expect(found).toBe(-1)
      else expect(found).toBeGreaterThanOrEqual(0)
      if (v8Position !== undefined) {
        expect({ text, found }).toEqual({ text, found: v8Position })
        compared++
      }
    }
    expect(compared).toBeGreaterThan(100)
  })

  it('finds the offending character of errors V8 gives no position for', () => {
    expect(findJsonErrorIndex('{"a": tru}')).toBe(9)
    expect(findJsonErrorIndex('{"a": }')).toBe(6)
    expect(findJsonErrorIndex('{"a": "x')).toBe(8)
    expect(findJsonErrorIndex('[-]')).toBe(2)
    expect(findJsonErrorIndex('{"a": "\\u12G4"}')).toBe(8)
  })

  it('counts lines and columns from 1', () => {
    expect(locationOf('ab\ncd\r\nef', 0)).toEqual({ line: 1, column: 1 })
    expect(locationOf('ab\ncd\r\nef', 4)).toEqual({ line: 2, column: 2 })
    expect(locationOf('ab\ncd\r\nef', 7)).toEqual({ line: 3, column: 1 })
  })
})

describe('parseLockfile: keys and names that would leave their folder', () => {
  it.each([
    ['node_modules/..', 'is not a valid install path: ".." after node_modules'],
    ['node_modules/ms/node_modules/../../../../victim', '".." after node_modules'],
    ['node_modules/.bin', 'cannot start with "."'],
    ['/etc', 'absolute path'],
  ])('refuses the key %j, naming it and where it is', (key, reason) => {
    const error = parseError(
      lockfileText(`{\n    "": {},\n    ${JSON.stringify(key)}: { "version": "1.0.0" }\n  }`),
    )
    expect(error.code).toBe('ELOCKFILE')
    expect(error.message).toContain(`packages[${JSON.stringify(key)}]`)
    expect(error.message).toContain(reason)
    expect(error.message).toContain('(line 7, column 5)')
    expect(error.hint).toMatch(/tampered/)
  })

  it('refuses an aliased name that is not one folder', () => {
    const error = parseError(
      lockfileText(`{\n    "node_modules/a": { "name": "../../x", "version": "1.0.0" }\n  }`),
    )
    expect(error.message).toContain('packages["node_modules/a"].name "../../x" is not a package name')
  })

  it('keeps the keys npm writes for workspaces and linked folders', () => {
    const lockfile = parseLockfile(
      lockfileText(
        `{\n    "": {},\n    "packages/a": { "version": "1.0.0" },\n    "../lib": { "version": "1.0.0" },\n    "node_modules/a": { "resolved": "packages/a", "link": true }\n  }`,
      ),
    )
    expect(Object.keys(lockfile.packages)).toEqual(['', 'packages/a', '../lib', 'node_modules/a'])
  })
})
