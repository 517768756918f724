import { Buffer } from 'node:buffer'
import { type Packument, versionKeysOf } from '@tote/types'
import { describe, expect, it } from 'vitest'
import { packumentFromText, packumentToText } from '../src/_lazy.js'

const packument: Packument = {
  name: '@s/a',
  'dist-tags': { latest: '2.0.0', next: '3.0.0-rc.1' },
  modified: '2024-01-01T00:00:00.000Z',
  versions: {
    '1.0.0': { name: '@s/a', version: '1.0.0', dist: { tarball: 'http://127.0.0.1/t1.tgz' } },
    '2.0.0': {
      name: '@s/a',
      version: '2.0.0',
      dependencies: { ünïcode: '^1 || "quoted"' },
      dist: { tarball: 'http://127.0.0.1/t2.tgz', integrity: 'sha512-x' },
    },
    '3.0.0-rc.1': {
      name: '@s/a',
      version: '3.0.0-rc.1',
      deprecated: 'no',
      dist: { tarball: 'http://127.0.0.1/t3.tgz' },
    },
  },
}

describe('packument text (worker → main thread)', () => {
  it('round-trips: the text is the packument JSON, and each version parses back on access', () => {
    const text = packumentToText(packument)
    expect(text.encoding).toBe('utf8')
    expect(JSON.parse(Buffer.from(text.bytes).toString('utf8'))).toEqual(packument)
    // Transferable: the bytes are the whole of their own ArrayBuffer.
    expect(text.bytes.byteLength).toBe(text.bytes.buffer.byteLength)
    const back = packumentFromText(text)
    expect(Object.keys(back.versions)).toEqual(['1.0.0', '2.0.0', '3.0.0-rc.1'])
    expect(back.versions['2.0.0']).toEqual(packument.versions['2.0.0'])
    expect(back).toEqual(packument)
    expect(JSON.parse(JSON.stringify(back))).toEqual(packument)
  })

  it('writes ASCII text as latin1, and reads it back from a plain Uint8Array (as transferred)', () => {
    const ascii: Packument = {
      ...packument,
      versions: { '1.0.0': packument.versions['1.0.0']!, '3.0.0-rc.1': packument.versions['3.0.0-rc.1']! },
    }
    const text = packumentToText(ascii)
    expect(text.encoding).toBe('latin1')
    const received = { ...text, bytes: new Uint8Array(text.bytes.buffer) }
    expect(Buffer.isBuffer(received.bytes)).toBe(false)
    expect(packumentFromText(received)).toEqual(ascii)
  })

  it('parses a version once, keeps it, and lets callers replace it', () => {
    const back = packumentFromText(packumentToText(packument))
    const first = back.versions['1.0.0']
    expect(back.versions['1.0.0']).toBe(first)
    expect(Object.getOwnPropertyDescriptor(back.versions, '1.0.0')).toMatchObject({
      value: first,
      writable: true,
    })
    expect(Object.getOwnPropertyDescriptor(back.versions, '2.0.0')?.get).toBeTypeOf('function')
    const replacement = { name: '@s/a', version: '2.0.0', dist: { tarball: 'x' } }
    back.versions['2.0.0'] = replacement
    expect(back.versions['2.0.0']).toBe(replacement)
    expect('3.0.0-rc.1' in back.versions).toBe(true)
    expect({ ...back.versions }['3.0.0-rc.1']?.deprecated).toBe('no')
  })

  it('adds, deletes and lists keys as a plain object does', () => {
    const back = packumentFromText(packumentToText(packument))
    const extra = { name: '@s/a', version: '4.0.0', dist: { tarball: 'y' } }
    back.versions['4.0.0'] = extra
    delete back.versions['1.0.0']
    expect(Object.keys(back.versions)).toEqual(['2.0.0', '3.0.0-rc.1', '4.0.0'])
    // the quick way to the keys gives the same list, and a copy of it
    const keys = versionKeysOf(back.versions)
    expect(keys).toEqual(['2.0.0', '3.0.0-rc.1', '4.0.0'])
    keys.pop()
    expect(versionKeysOf(back.versions)).toHaveLength(3)
    expect(versionKeysOf({ a: 1, b: 2 })).toEqual(['a', 'b'])
    expect('1.0.0' in back.versions).toBe(false)
    expect(back.versions['1.0.0']).toBeUndefined()
    expect(JSON.parse(JSON.stringify(back.versions))).toEqual({
      '2.0.0': packument.versions['2.0.0'],
      '3.0.0-rc.1': packument.versions['3.0.0-rc.1'],
      '4.0.0': extra,
    })
  })
})
