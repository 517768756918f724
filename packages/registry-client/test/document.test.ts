import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { gatherBody, readDocument } from '../src/packument/_read.js'
import { reducePackument } from '../src/packument/_reduce.js'
import { fullDocument, readAll } from './_documents.js'

/** A document read from its bytes with every version read, unusable ones left out (as reducePackument does). */
function readEagerly(text: string, name = 'a') {
  const bytes = Buffer.from(text)
  const read = readDocument([bytes], bytes.length, name)
  return read && readAll(read.packument)
}

/** Both ways of reducing one document text: they must agree, down to key order. */
function reduceBothWays(text: string, name = 'a') {
  const expected = reducePackument(JSON.parse(text), name)
  const actual = readEagerly(text, name)
  expect(actual).toEqual(expected)
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected))
  return actual
}

describe('reading a document from its bytes', () => {
  it('gives what JSON.parse and reducePackument give, for compact and indented documents', () => {
    for (const text of [JSON.stringify(fullDocument), JSON.stringify(fullDocument, null, 2)]) {
      const packument = reduceBothWays(text)
      expect(Object.keys(packument!.versions)).toEqual(['1.0.0', '2.0.0'])
      expect(packument!.modified).toBe('2021-02-03T04:05:06.000Z')
      expect(packument!.versions['1.0.0']!.dependencies).toEqual({ b: '^1.0.0' })
    }
  })

  it('reads the separators some mirrors write (", " and ": "), and whitespace around the document', () => {
    const text = JSON.stringify(fullDocument).replaceAll('","', '", "').replaceAll('":{', '": {')
    expect(text).toContain('"time": {')
    const packument = reduceBothWays(`\n ${text} \r\n`)
    expect(packument!.versions['2.0.0']!.bin).toEqual({ a: 'cli.js' })
  })

  it('handles a document without time, and a top-level modified (abbreviated documents)', () => {
    const { time: _time, ...withoutTime } = fullDocument
    expect(reduceBothWays(JSON.stringify(withoutTime))).not.toHaveProperty('modified')
    const abbreviated = { ...withoutTime, modified: '2022-01-01T00:00:00.000Z', time: fullDocument.time }
    expect(reduceBothWays(JSON.stringify(abbreviated))!.modified).toBe('2022-01-01T00:00:00.000Z')
  })

  it('reads time.modified wherever it sits in time, and keys written with escapes', () => {
    const text = JSON.stringify({ ...fullDocument, time: { '1.0.0': 'x' } }).replace(
      '"time":{"1.0.0":"x"}',
      '"time":{"1.0.0":"x","\\u006dodified":"2023-01-01T00:00:00.000Z"}',
    )
    expect(text).toContain('\\u006dodified')
    expect(reduceBothWays(text)!.modified).toBe('2023-01-01T00:00:00.000Z')
    const escapedVersion = JSON.stringify(fullDocument).replace('"2.0.0":{', '"\\u0032.0.0":{')
    expect(Object.keys(reduceBothWays(escapedVersion)!.versions)).toEqual(['1.0.0', '2.0.0'])
    // members of a version, and of its dist, written with escapes are still the ones tote reads
    const escapedMembers = JSON.stringify(fullDocument)
      .replaceAll('"dependencies":', '"\\u0064ependencies":')
      .replaceAll('"tarball":', '"t\\u0061rball":')
    expect(escapedMembers).toContain('\\u0064ependencies')
    const versions = reduceBothWays(escapedMembers)!.versions
    expect(versions['2.0.0']!.dist.tarball).toBe(fullDocument.versions['2.0.0'].dist.tarball)
  })

  it('decodes UTF-8 documents', () => {
    const text = JSON.stringify({
      ...fullDocument,
      readme: 'Grüße 🦀',
      versions: {
        '1.0.0-ü': { ...fullDocument.versions['1.0.0'], funding: 'https://127.0.0.1/Jürgen' },
        '2.0.0': fullDocument.versions['2.0.0'],
      },
    })
    const packument = reduceBothWays(text)
    expect(packument!.versions['1.0.0-ü']!.funding).toBe('https://127.0.0.1/Jürgen')
  })

  it('keeps JSON.parse semantics: later duplicates win, integer-like keys first, odd values skipped', () => {
    const v = fullDocument.versions['2.0.0']
    const text =
      '{"name":"a","versions":{"9":' +
      JSON.stringify(v) +
      '},"versions":{"2.0.0":' +
      JSON.stringify(v) +
      ',"1":' +
      JSON.stringify({ ...v, version: '1' }) +
      ',"2.0.0":{"name":"a"},"3.0.0":null,"4.0.0":[1],"0":' +
      JSON.stringify({ ...v, version: '0' }) +
      '},"dist-tags":{"latest":"2.0.0"},"dist-tags":{"latest":"1"},"name":"b"}'
    const packument = reduceBothWays(text)
    expect(Object.keys(packument!.versions)).toEqual(['0', '1'])
    expect(packument!.name).toBe('b')
    expect(reduceBothWays('{"name":"a","versions":{"1.0.0":{}},"versions":null}')!.versions).toEqual({})
    expect(reduceBothWays('{"versions":[],"dist-tags":[]}', 'x')).toEqual({
      name: 'x',
      'dist-tags': {},
      versions: {},
    })
  })

  it('gives up on bytes that are not one object (the caller then parses the whole text)', () => {
    const text = JSON.stringify(fullDocument)
    for (const bytes of [
      '[1]',
      '"a"',
      '',
      `${text} {}`,
      `${text}}`,
      text.slice(0, -1),
      text.slice(0, text.indexOf('"time"')),
      '{"name" "a"}',
      '{"name":"a",}',
      '{"name":"a" "versions":{}}',
      '{"name":"a","versions":{"1.0.0":{"dist":{}}}',
    ]) {
      expect(readEagerly(bytes)).toBeUndefined()
    }
  })

  it('throws when a member it reads is not valid JSON', () => {
    expect(() => readEagerly('{"name":"a","versions":{"1.0.0":{"dependencies":nope}}}')).toThrow(
      "Invalid JSON in version 1.0.0 of 'a'",
    )
    expect(() => readEagerly('{"name":"a","dist-tags":{"latest":1,}}')).toThrow(SyntaxError)
  })
})

/** `text` cut into chunks of `size` bytes, as a body arrives. */
function chunksOf(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text)
  const chunks: Buffer[] = []
  for (let start = 0; start < bytes.length; start += size) chunks.push(bytes.subarray(start, start + size))
  return chunks
}

describe('readDocument', () => {
  it('gives the same packument as the eager reduction, once its versions are read', () => {
    const accented = structuredClone({ ...fullDocument, description: 'déjà vu — 🎉' })
    accented.versions['2.0.0'] = { ...accented.versions['2.0.0'], description: 'naïve ünïcödé 🎉' } as never
    for (const text of [JSON.stringify(fullDocument), JSON.stringify(accented, null, 2)]) {
      // chunks of 7 bytes: versions and multi-byte characters fall across chunk boundaries
      const read = readDocument(chunksOf(text, 7), Buffer.byteLength(text), 'a')!
      const expected = reducePackument(JSON.parse(text), 'a')
      expect(readAll(read.packument)).toEqual(expected)
      expect(JSON.stringify(readAll(read.packument))).toBe(JSON.stringify(expected))
      // the bytes kept (and cached) are a document that reduces to the same packument
      expect(reducePackument(JSON.parse(read.bytes.toString('utf8')), 'a')).toEqual(expected)
    }
  })

  it('parses a version only when it is read: a damaged one fails then, an unusable one reads as undefined', () => {
    const text =
      '{"name":"a","versions":{"1.0.0":{"dependencies":nope},"1.1.0":{"version":"1.1.0"},' +
      '"2.0.0":{"version":"2.0.0","dist":{"tarball":"t"}}},"dist-tags":{"latest":"2.0.0"}}'
    const { packument } = readDocument([Buffer.from(text)], text.length, 'a')!
    expect(packument['dist-tags']).toEqual({ latest: '2.0.0' })
    expect(packument.versions.keys()).toEqual(['1.0.0', '1.1.0', '2.0.0'])
    expect(packument.versions.get('2.0.0')).toMatchObject({
      name: 'a',
      version: '2.0.0',
      dist: { tarball: 't' },
    })
    // no tarball: not a version anything can install
    expect(packument.versions.has('1.1.0')).toBe(true)
    expect(packument.versions.get('1.1.0')).toBeUndefined()
    expect(() => packument.versions.get('1.0.0')).toThrow("Invalid JSON in version 1.0.0 of 'a'")
  })
})

describe('gatherBody', () => {
  it('joins chunks of any size, growing its buffer as needed', () => {
    for (const sizes of [[3], [1, 2, 3], [700_000, 900_000, 5]]) {
      const chunks = sizes.map((size, index) => Buffer.alloc(size, 97 + index))
      const expected = Buffer.concat(chunks)
      const body = gatherBody(chunks, expected.length)
      expect(body.equals(expected)).toBe(true)
    }
  })

  it('returns a single chunk without copying it', () => {
    const chunk = Buffer.from('{"name":"a"}')
    expect(gatherBody([chunk], chunk.length)).toBe(chunk)
    const view = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    expect(gatherBody([view], view.length).buffer).toBe(chunk.buffer)
  })
})
