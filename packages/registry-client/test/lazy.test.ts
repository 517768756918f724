import type { PackageManifest } from '@tote/types'
import { describe, expect, it } from 'vitest'
import { lazyVersions } from '../src/packument/_lazy-versions.js'

const manifest = (version: string): PackageManifest => ({
  name: 'a',
  version,
  dist: { tarball: `http://127.0.0.1/a-${version}.tgz` },
})

describe('lazily read versions', () => {
  it('reads a version when it is first asked for, once, and keeps it', () => {
    const reads: number[] = []
    const keys = ['1.0.0', '2.0.0', '3.0.0']
    const versions = lazyVersions(keys, (index) => {
      reads.push(index)
      return manifest(keys[index]!)
    })
    expect(reads).toEqual([])
    const first = versions.get('2.0.0')
    expect(first?.version).toBe('2.0.0')
    expect(versions.get('2.0.0')).toBe(first)
    expect(reads).toEqual([1])
    expect(versions.keys()).toEqual(keys)
    expect(versions.keys()).toBe(versions.keys())
    expect(reads).toEqual([1])
  })

  it('tells listed versions from others, and reads an unusable one as undefined, once', () => {
    const reads: number[] = []
    const versions = lazyVersions(['1.0.0', 'broken'], (index) => {
      reads.push(index)
      return index === 0 ? manifest('1.0.0') : undefined
    })
    expect(versions.has('broken')).toBe(true)
    expect(versions.get('broken')).toBeUndefined()
    expect(versions.get('broken')).toBeUndefined()
    expect(reads).toEqual([1])
    expect(versions.has('9.9.9')).toBe(false)
    expect(versions.get('9.9.9')).toBeUndefined()
    // names of Object.prototype's members are versions like any other: here, absent ones
    expect(versions.has('constructor')).toBe(false)
    expect(versions.get('toString')).toBeUndefined()
    expect(reads).toEqual([1])
  })

  it('lets a read that throws throw again at the next ask', () => {
    let tries = 0
    const versions = lazyVersions(['1.0.0'], () => {
      tries++
      throw new Error('damaged')
    })
    expect(() => versions.get('1.0.0')).toThrow('damaged')
    expect(() => versions.get('1.0.0')).toThrow('damaged')
    expect(tries).toBe(2)
  })
})
