import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { type CompactDocument, compactDocument, DocumentCompactor } from '../src/packument/_compact.js'
import { fullDocument } from './_documents.js'

/** Compacts `bytes` as if they arrived in chunks of `size` bytes. */
function compactInChunks(bytes: Buffer, size: number): CompactDocument | undefined {
  const compactor = new DocumentCompactor(bytes.length)
  for (let start = 0; start < bytes.length; start += size) compactor.push(bytes.subarray(start, start + size))
  return compactor.finish()
}

/** A compact document as plain data, to compare two of them. */
function plain(compact: CompactDocument | undefined) {
  if (compact === undefined) return undefined
  const { bytes, versions, ...ranges } = compact
  return { text: bytes.toString('utf8'), versions: [...versions], ...ranges }
}

const v2 = fullDocument.versions['2.0.0']
const documents: Record<string, string> = {
  compact: JSON.stringify(fullDocument),
  indented: JSON.stringify(fullDocument, null, 2),
  'spaced, with whitespace around': `\n ${JSON.stringify(fullDocument).replaceAll('":{', '": {')} \r\n`,
  'keys with escapes': JSON.stringify(fullDocument)
    .replace('"2.0.0":{', '"\\u0032.0.0":{')
    .replaceAll('"dependencies":', '"\\u0064ependencies":'),
  'UTF-8': JSON.stringify({ ...fullDocument, readme: 'Grüße 🦀', versions: { '1.0.0-ü': v2 } }),
  'duplicates and odd values': `{"name":"a","versions":{"9":${JSON.stringify(v2)}},"versions":{"1":${JSON.stringify(v2)},"3.0.0":null,"4.0.0":[1]},"versions":null,"versions":{},"dist-tags":{"latest":"1"}}`,
  empty: '{}',
  'empty versions': '{ "versions" : { } , "name" : "a" }',
}

describe('compacting a document while it arrives', () => {
  it('gives what compacting the whole document gives, whatever the chunks', () => {
    for (const [what, text] of Object.entries(documents)) {
      const bytes = Buffer.from(text)
      const whole = plain(compactDocument(bytes))
      expect(whole, what).toBeDefined()
      for (const size of [1, 2, 3, 5, 16, 100, bytes.length]) {
        expect(plain(compactInChunks(bytes, size)), `${what}, chunks of ${size}`).toEqual(whole)
      }
    }
    // what a packument is read from: versions and the head, nothing else
    const compact = compactDocument(Buffer.from(documents.compact!))!
    expect([...compact.versions.keys()]).toEqual(['1.0.0', '2.0.0'])
    expect(compact.bytes.toString()).not.toContain('readme')
  })

  it('gives nothing for a damaged or truncated document, however it arrives', () => {
    const full = documents.compact!
    const damaged = [
      '',
      ' ',
      '[1]',
      '{"a":1,}',
      '{"a":1',
      '{"a" 1}',
      '{"a":1} x',
      '{"versions":{"1":{}}',
      '{"versions":{"1":{},}}',
    ]
    for (let cut = 1; cut < full.length; cut += 37) damaged.push(full.slice(0, cut))
    for (const text of damaged) {
      const bytes = Buffer.from(text)
      expect(compactDocument(bytes), text).toBeUndefined()
      for (const size of [1, 7, 64])
        expect(compactInChunks(bytes, size), `${text}, chunks of ${size}`).toBeUndefined()
    }
  })

  it('never reads the old bytes of a buffer it reuses', () => {
    const long = Buffer.from(documents.indented!)
    expect(compactInChunks(long, 4096)).toBeDefined()
    // the same buffers again, for a document that stops where the last one went on
    const cut = long.subarray(0, long.length - 3)
    expect(compactInChunks(cut, 4096)).toBeUndefined()
    expect(plain(compactInChunks(long, 4096))).toEqual(plain(compactDocument(long)))
  })

  it('keeps a member longer than any chunk whole (a README of megabytes)', () => {
    const readme = `# a\n${'"\\{}'.repeat(300_000)}`
    const text = JSON.stringify({ ...fullDocument, readme, description: readme })
    const bytes = Buffer.from(text)
    expect(plain(compactInChunks(bytes, 16_384))).toEqual(plain(compactDocument(bytes)))
  })
})
