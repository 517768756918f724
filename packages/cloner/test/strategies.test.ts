import { constants, copyFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { isToteError } from '@tote/types'
import { describe, expect, it } from 'vitest'
import type { CloneFs } from '../src/index.js'
import { createCloner } from '../src/index.js'
import {
  autoStrategyHere,
  cachePackage,
  errno,
  expectedFiles,
  inode,
  samplePackage,
  scratch,
  snapshot,
} from './helpers.js'

/** A copyFileSync that refuses copy-on-write clones like ext4 does, counting the attempts. */
function withoutReflink(counter: { reflinks: number }): Pick<CloneFs, 'copyFileSync'> {
  return {
    copyFileSync(src, dest, mode = 0) {
      if (mode & constants.COPYFILE_FICLONE_FORCE) {
        counter.reflinks++
        throw errno('EOPNOTSUPP', 'copyfile', src)
      }
      copyFileSync(src, dest, mode)
    },
  }
}

describe('strategies', () => {
  it.each(['auto', 'hardlink', 'copy'] as const)(
    '%s places every file with its content and mode',
    (strategy) => {
      const source = samplePackage(scratch())
      const dest = join(scratch(), 'node_modules', 'sample')
      createCloner({ strategy }).cloneSync(source, dest)
      expect(snapshot(dest)).toEqual(expectedFiles(source))
      expect(statSync(join(dest, 'bin/cli.js')).mode & 0o777).toBe(0o755)
    },
  )

  it('hardlink shares inodes with the cache, copy does not', () => {
    const source = samplePackage(scratch())
    const project = scratch()
    createCloner({ strategy: 'hardlink' }).cloneSync(source, join(project, 'linked'))
    createCloner({ strategy: 'copy' }).cloneSync(source, join(project, 'copied'))
    for (const file of source.files) {
      expect(inode(join(project, 'linked', file.path))).toBe(inode(join(source.dir, file.path)))
      expect(inode(join(project, 'copied', file.path))).not.toBe(inode(join(source.dir, file.path)))
    }
  })

  it.each(['auto', 'hardlink'] as const)('privateCopy never shares inodes (%s)', (strategy) => {
    const source = samplePackage(scratch())
    const dest = join(scratch(), 'pkg')
    createCloner({ strategy }).cloneSync(source, dest, { privateCopy: true })
    expect(snapshot(dest)).toEqual(expectedFiles(source))
    for (const file of source.files) {
      expect(inode(join(dest, file.path))).not.toBe(inode(join(source.dir, file.path)))
    }
  })

  it('copies take their mode from the file list, not from the cache file', () => {
    const source = cachePackage(scratch(), 'ro', { 'a.js': { content: 'a', mode: 0o444 }, 'b.sh': 'b' })
    source.files[1]!.mode = 0o755
    source.files[0]!.mode = 0o644
    const dest = join(scratch(), 'ro')
    createCloner({ strategy: 'copy' }).cloneSync(source, dest)
    expect(statSync(join(dest, 'a.js')).mode & 0o777).toBe(0o644)
    expect(statSync(join(dest, 'b.sh')).mode & 0o777).toBe(0o755)
  })

  it('auto settles on what this filesystem can do', () => {
    const cloner = createCloner()
    expect(cloner.effectiveStrategy).toBeUndefined()
    cloner.cloneSync(samplePackage(scratch()), join(scratch(), 'pkg'))
    expect(cloner.effectiveStrategy).toBe(autoStrategyHere())
  })

  it('forced reflink on a filesystem without it fails with ECLONENOTSUP and a hint', () => {
    const source = samplePackage(scratch())
    const cloner = createCloner({ strategy: 'reflink', fs: withoutReflink({ reflinks: 0 }) })
    expect(cloner.effectiveStrategy).toBe('reflink')
    const error = catchError(() => cloner.cloneSync(source, join(scratch(), 'pkg')))
    expect(isToteError(error) && error.code).toBe('ECLONENOTSUP')
    expect(isToteError(error) && error.hint).toMatch(/'auto'/)
    expect(isToteError(error) && error.details).toMatchObject({ strategy: 'reflink', code: 'EOPNOTSUPP' })
  })

  it('auto tries reflink once, then hard-links', () => {
    const counter = { reflinks: 0 }
    const source = samplePackage(scratch())
    const cloner = createCloner({ fs: withoutReflink(counter) })
    cloner.cloneSync(source, join(scratch(), 'one'))
    cloner.cloneSync(source, join(scratch(), 'two'))
    expect(counter.reflinks).toBe(1)
    expect(cloner.effectiveStrategy).toBe('hardlink')
  })

  it('a file missing from the cache fails with ECACHEDAMAGED naming the package and file', () => {
    const source = samplePackage(scratch())
    rmSync(join(source.dir, 'lib/a/other.js'))
    for (const strategy of ['auto', 'hardlink', 'copy'] as const) {
      const error = catchError(() => createCloner({ strategy }).cloneSync(source, join(scratch(), strategy)))
      expect(isToteError(error) && error.code).toBe('ECACHEDAMAGED')
      expect(isToteError(error) && error.details).toMatchObject({
        integrity: source.integrity,
        file: 'lib/a/other.js',
      })
    }
  })

  it('refuses a file list that would write outside destDir', () => {
    const cache = scratch()
    const source = samplePackage(cache)
    source.files.push({ path: '../escaped.js', mode: 0o644, size: 1 })
    const project = scratch()
    const error = catchError(() => createCloner().cloneSync(source, join(project, 'node_modules', 'x')))
    expect(isToteError(error) && error.code).toBe('ECACHEDAMAGED')
    expect(() => statSync(join(project, 'node_modules', 'escaped.js'))).toThrow(/ENOENT/)
  })
})

function catchError(run: () => void): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  throw new Error('expected an error')
}
