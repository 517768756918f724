import { randomBytes } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { CachedPackage } from '@tote/types'
import { removeStaleTempFilesIn, removeTempFilesOfSync, strongestHash, tempFileOwnerFrom } from '@tote/types'
import { parseIndex, serializeIndex } from './_index-file.js'
import type { CleanStagingOptions, ContentCache, ContentCacheOptions, WritePackage } from './types.js'

/** The layout's version: a new layout goes into a new folder and never misreads an old one. */
const CONTENT = 'content-v1'
/** Error codes of a rename onto a folder that is already there (EPERM: Windows). */
const TARGET_EXISTS = new Set(['ENOTEMPTY', 'EEXIST', 'EPERM'])

/** `tmp/<purpose>-<pid>-<random hex>`: a staging folder's owner (see newStagingDir). */
const stagingOwner = tempFileOwnerFrom(/^[a-z]+-(\d+)-[0-9a-f]+$/)

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code
}

/** Creates the content cache in `options.dir` (see README for the layout). */
export function createContentCache(options: ContentCacheOptions): ContentCache {
  const staging = join(options.dir, 'tmp')

  function entryDir(integrity: string): string {
    const { algorithm, hex } = strongestHash(integrity)
    return join(options.dir, CONTENT, algorithm, hex.slice(0, 2), hex.slice(2))
  }

  function newStagingDir(purpose: string): string {
    return join(staging, `${purpose}-${process.pid}-${randomBytes(6).toString('hex')}`)
  }

  function found(integrity: string, entry: string, text: string, packageDirIsFolder: boolean) {
    if (!packageDirIsFolder) return undefined
    const files = parseIndex(text, strongestHash(integrity).sri)
    return files && { integrity, dir: join(entry, 'package'), files }
  }

  async function lookup(integrity: string): Promise<CachedPackage | undefined> {
    const entry = entryDir(integrity)
    try {
      const [text, packageDir] = await Promise.all([
        readFile(join(entry, 'index.json'), 'utf8'),
        stat(join(entry, 'package')),
      ])
      return found(integrity, entry, text, packageDir.isDirectory())
    } catch (error) {
      if (code(error) === 'ENOENT' || code(error) === 'ENOTDIR') return undefined
      throw error
    }
  }

  function lookupSync(integrity: string): CachedPackage | undefined {
    const entry = entryDir(integrity)
    try {
      const text = readFileSync(join(entry, 'index.json'), 'utf8')
      return found(integrity, entry, text, statSync(join(entry, 'package')).isDirectory())
    } catch (error) {
      if (code(error) === 'ENOENT' || code(error) === 'ENOTDIR') return undefined
      throw error
    }
  }

  async function remove(integrity: string): Promise<boolean> {
    const trash = newStagingDir('removed')
    await mkdir(staging, { recursive: true })
    try {
      await rename(entryDir(integrity), trash)
    } catch (error) {
      if (code(error) === 'ENOENT') return false
      throw error
    }
    await rm(trash, { recursive: true, force: true })
    return true
  }

  async function add(integrity: string, write: WritePackage): Promise<CachedPackage> {
    const existing = await lookup(integrity)
    if (existing) return existing
    const key = strongestHash(integrity)
    const target = entryDir(integrity)
    const dir = newStagingDir('add')
    try {
      await mkdir(join(dir, 'package'), { recursive: true })
      const written = await write(join(dir, 'package'))
      const index = serializeIndex(key.sri, written.files)
      await writeFile(join(dir, 'index.json'), index.text)
      await mkdir(join(target, '..'), { recursive: true })
      for (let attempt = 0; ; attempt++) {
        try {
          await rename(dir, target)
          return { integrity, dir: join(target, 'package'), files: index.files }
        } catch (error) {
          // Another process renamed its entry first: use theirs. A damaged one in the way: replace it.
          const theirs = await lookup(integrity)
          if (theirs) {
            await rm(dir, { recursive: true, force: true })
            return theirs
          }
          if (!TARGET_EXISTS.has(code(error) ?? '') || attempt === 2) throw error
          await remove(integrity)
        }
      }
    } catch (error) {
      await rm(dir, { recursive: true, force: true })
      throw error
    }
  }

  function cleanStaging(cleanOptions: CleanStagingOptions = {}): Promise<number> {
    return removeStaleTempFilesIn(staging, stagingOwner, cleanOptions)
  }

  function cleanOwnStagingSync(pid = process.pid): number {
    return removeTempFilesOfSync(staging, stagingOwner, pid)
  }

  return { lookup, lookupSync, add, remove, entryDir, cleanStaging, cleanOwnStagingSync }
}
