import { randomBytes } from 'node:crypto'
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs'
import { mkdir, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { CachedPackage, PackageFile, WritePackageSync } from '@tote/types'
import { removeStaleTempFilesIn, removeTempFilesOfSync, strongestHash, tempFileOwnerFrom } from '@tote/types'
import { fileProblem, lstatIfThere, lstatIfThereAsync, packHashes } from './_files.js'
import { type IndexRecord, parseIndex, serializeIndex } from './_index-file.js'
import { verifyEntries } from './_verify.js'
import type {
  CleanStagingOptions,
  ContentCache,
  ContentCacheOptions,
  Lookup,
  PackageIdentity,
  WritePackage,
} from './types.js'

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
  /** Entries' parent folders (`<algorithm>/<2 hex>`) this cache made or found, so each costs one mkdir. */
  const madeParents = new Set<string>()

  function entryDir(integrity: string): string {
    const { algorithm, hex } = strongestHash(integrity)
    return join(options.dir, CONTENT, algorithm, hex.slice(0, 2), hex.slice(2))
  }

  function newStagingDir(purpose: string): string {
    return join(staging, `${purpose}-${process.pid}-${randomBytes(6).toString('hex')}`)
  }

  /** The index when it is whole and for `identity` (its files are checked next), else the verdict. */
  function judgeIndex(
    text: string | undefined,
    integrity: string,
    identity: PackageIdentity,
  ): Exclude<Lookup, { status: 'found' }> | IndexRecord {
    if (text === undefined) return MISSING
    const index = parseIndex(text, strongestHash(integrity).sri)
    if (index === 'outdated') return MISSING
    if (index === 'damaged') return { status: 'damaged', reason: 'its index.json is damaged' }
    const holds = index.identity
    if (holds.name !== identity.name || holds.version !== identity.version) {
      return { status: 'other-package', holds }
    }
    return index
  }

  async function lookup(integrity: string, identity: PackageIdentity): Promise<Lookup> {
    const entry = entryDir(integrity)
    const index = judgeIndex(await readIfThere(join(entry, 'index.json')), integrity, identity)
    if ('status' in index) return index
    const dir = join(entry, 'package')
    const problems = await Promise.all(
      index.files.map(async (file) =>
        fileProblem(file, await lstatIfThereAsync(`${dir}/${file.path}`), index.writtenAt),
      ),
    )
    const at = problems.findIndex((problem) => problem !== undefined)
    if (at !== -1) return { status: 'damaged', reason: problems[at]!, file: index.files[at]!.path }
    return { status: 'found', entry: { integrity, dir, files: index.files } }
  }

  function lookupSync(integrity: string, identity: PackageIdentity): Lookup {
    const entry = entryDir(integrity)
    const index = judgeIndex(readIfThereSync(join(entry, 'index.json')), integrity, identity)
    if ('status' in index) return index
    const dir = join(entry, 'package')
    // One lstat per file, stopping at the first problem: the price of never linking an edited file.
    for (const file of index.files) {
      const problem = fileProblem(file, lstatIfThere(`${dir}/${file.path}`), index.writtenAt)
      if (problem !== undefined) return { status: 'damaged', reason: problem, file: file.path }
    }
    return { status: 'found', entry: { integrity, dir, files: index.files } }
  }

  /** Renames a folder away, so that no reader sees half of it, then deletes it. */
  async function removeFolder(folder: string): Promise<boolean> {
    const trash = newStagingDir('removed')
    await mkdir(staging, { recursive: true })
    try {
      await rename(folder, trash)
    } catch (error) {
      if (code(error) === 'ENOENT') return false
      throw error
    }
    await rm(trash, { recursive: true, force: true })
    return true
  }

  /** {@link removeFolder}, synchronously. */
  function removeFolderSync(folder: string): boolean {
    const trash = newStagingDir('removed')
    mkdirSync(staging, { recursive: true })
    try {
      renameSync(folder, trash)
    } catch (error) {
      if (code(error) === 'ENOENT') return false
      throw error
    }
    rmSync(trash, { recursive: true, force: true })
    return true
  }

  /**
   * Makes the staging folder `dir`, whose `package/` holds `files`, an entry: writes its index.json
   * last, then renames it into place. Synchronous for `add` too: a few calls, after the write.
   */
  function commitSync(
    dir: string,
    integrity: string,
    identity: PackageIdentity,
    files: PackageFile[],
  ): CachedPackage {
    const hashes = packHashes(join(dir, 'package'), files)
    // "Written at" by the clock that stamped the files (the file system's: a file server's may
    // differ from ours): the mtime of a file made after them. Later edits get later mtimes.
    // One descriptor: its mtime from creating it is "written at", then the text goes in.
    const fd = openSync(join(dir, 'index.json'), 'w')
    let index: ReturnType<typeof serializeIndex>
    try {
      const writtenAt = fstatSync(fd).mtimeMs
      const sri = strongestHash(integrity).sri
      index = serializeIndex({ integrity: sri, identity, writtenAt, files, hashes })
      const bytes = Buffer.from(index.text)
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at)
    } finally {
      closeSync(fd)
    }
    const target = entryDir(integrity)
    const parent = join(target, '..')
    if (!madeParents.has(parent)) {
      mkdirSync(parent, { recursive: true })
      madeParents.add(parent)
    }
    for (let attempt = 0; ; attempt++) {
      try {
        renameSync(dir, target)
        return { integrity, dir: join(target, 'package'), files: index.files }
      } catch (error) {
        // The parent went away since this cache made it (another process cleaned the cache).
        if (code(error) === 'ENOENT' && attempt < 2) {
          mkdirSync(parent, { recursive: true })
          continue
        }
        // Another process renamed its entry first: use theirs. A damaged one, or another
        // package's, in the way: replace it.
        const theirs = lookupSync(integrity, identity)
        if (theirs.status === 'found') {
          rmSync(dir, { recursive: true, force: true })
          return theirs.entry
        }
        if (!TARGET_EXISTS.has(code(error) ?? '') || attempt === 2) throw error
        removeFolderSync(target)
      }
    }
  }

  async function add(
    integrity: string,
    identity: PackageIdentity,
    write: WritePackage,
  ): Promise<CachedPackage> {
    const existing = await lookup(integrity, identity)
    if (existing.status === 'found') return existing.entry
    const dir = newStagingDir('add')
    try {
      const packageDir = join(dir, 'package')
      await mkdir(packageDir, { recursive: true })
      const written = await write(packageDir)
      return commitSync(dir, integrity, identity, written.files)
    } catch (error) {
      await rm(dir, { recursive: true, force: true })
      throw error
    }
  }

  function addSync(integrity: string, identity: PackageIdentity, write: WritePackageSync): CachedPackage {
    const existing = lookupSync(integrity, identity)
    if (existing.status === 'found') return existing.entry
    const dir = newStagingDir('add')
    try {
      const packageDir = join(dir, 'package')
      mkdirSync(packageDir, { recursive: true })
      return commitSync(dir, integrity, identity, write(packageDir).files)
    } catch (error) {
      rmSync(dir, { recursive: true, force: true })
      throw error
    }
  }

  function cleanStaging(cleanOptions: CleanStagingOptions = {}): Promise<number> {
    return removeStaleTempFilesIn(staging, stagingOwner, cleanOptions)
  }

  function cleanOwnStagingSync(pid = process.pid): number {
    return removeTempFilesOfSync(staging, stagingOwner, pid)
  }

  return {
    lookup,
    lookupSync,
    has: (integrity) => existsSync(join(entryDir(integrity), 'index.json')),
    add,
    addSync,
    remove: (integrity) => removeFolder(entryDir(integrity)),
    removeSync: (integrity) => removeFolderSync(entryDir(integrity)),
    verify: (verifyOptions = {}) =>
      verifyEntries(join(options.dir, CONTENT), { ...verifyOptions, removeFolder }),
    entryDir,
    cleanStaging,
    cleanOwnStagingSync,
  }
}

const MISSING = Object.freeze({ status: 'missing' } as const)

async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if (code(error) === 'ENOENT' || code(error) === 'ENOTDIR') return undefined
    throw error
  }
}

function readIfThereSync(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    if (code(error) === 'ENOENT' || code(error) === 'ENOTDIR') return undefined
    throw error
  }
}
