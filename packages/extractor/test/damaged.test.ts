import { gzipSync } from 'node:zlib'
import { createTarball } from '@tote/test-registry'
import { isToteError } from '@tote/types'
import { describe, expect, it } from 'vitest'
import { EXTRACTIONS, tempRoot, writeHeaderField } from './_helpers.js'

const files = [
  { path: 'package/package.json', content: '{"name":"x"}' },
  { path: 'package/lib/big.js', content: 'x'.repeat(5000) + Math.random() },
  { path: 'package/lib/after.js', content: 'after' },
]

describe.each(EXTRACTIONS)(
  'damaged tarballs throw ToteError ETARBALL ($name)',
  ({ extract: extractTarballSync }) => {
    function expectDamaged(tarball: Uint8Array, reason: RegExp): void {
      const { dest } = tempRoot()
      let thrown: unknown
      try {
        extractTarballSync(tarball, dest, { packageId: 'broken@1.0.0' })
      } catch (error) {
        thrown = error
      }
      expect(isToteError(thrown)).toBe(true)
      expect(thrown).toMatchObject({
        code: 'ETARBALL',
        hint: 'The download was damaged; it will be fetched again.',
        details: { package: 'broken@1.0.0' },
      })
      expect((thrown as Error).message).toMatch(reason)
    }

    it('truncated gzip', () => {
      const gz = createTarball(files)
      expectDamaged(gz.subarray(0, gz.length - 20), /^broken@1\.0\.0: gunzip failed/)
      expectDamaged(gz.subarray(0, Math.floor(gz.length / 2)), /gunzip failed/)
    })

    it('corrupted gzip (a flipped byte, a bad CRC)', () => {
      const gz = createTarball(files)
      const flipped = gz.slice()
      flipped[Math.floor(gz.length / 2)]! ^= 0xff
      expectDamaged(flipped, /gunzip failed/)
      const badCrc = gz.slice()
      badCrc[gz.length - 8]! ^= 0x01
      expectDamaged(badCrc, /gunzip failed/)
    })

    it('truncated tar inside a good gzip', () => {
      const tar = createTarball(files, { gzip: false })
      expectDamaged(gzipSync(tar.subarray(0, 512 * 4)), /truncated tar/) // cut inside big.js's data
      expectDamaged(gzipSync(tar.subarray(0, 512 * 3 + 100)), /truncated tar/)
      expectDamaged(tar.subarray(0, 700), /truncated tar/) // a partial header, uncompressed
    })

    it('a corrupted tar header (checksum mismatch), and bytes that are no tar at all', () => {
      const tar = createTarball(files, { gzip: false })
      tar[5]! ^= 0x20
      expectDamaged(gzipSync(tar), /bad tar header checksum at byte 0/)
      expectDamaged(new TextEncoder().encode('<html>Service unavailable</html>'.repeat(40)), /checksum/)
      expectDamaged(new Uint8Array(0), /empty tarball/)
    })

    it('a bad number in a header', () => {
      const tar = createTarball(files, { gzip: false })
      writeHeaderField(tar, 0, 124, 12, '0000000009x\0')
      expectDamaged(tar, /bad tar header at byte 0/)
    })

    it('accepts a tar that ends at an entry boundary without the end-of-archive blocks', () => {
      const { dest } = tempRoot()
      const tar = createTarball([{ path: 'package/a.txt', content: 'a' }], { gzip: false })
      const { files: written } = extractTarballSync(tar.subarray(0, 1024), dest)
      expect(written).toEqual([{ path: 'a.txt', mode: 0o644, size: 1 }])
    })
  },
)
