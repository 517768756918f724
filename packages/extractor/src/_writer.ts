import { closeSync, lstatSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs'
import { crc32 } from 'node:zlib'
import type { PackageFile } from '@tote/types'
import { entryPath } from './_paths.js'
import type { TarEntry, TarHandler } from './_tar.js'
import type { ExtractOptions } from './types.js'

/** What each typeflag becomes: a file, a folder, or the reason the entry is dropped. */
const KINDS: Record<string, 'file' | 'directory' | string> = {
  '0': 'file',
  '7': 'file', // contiguous file: a regular file everywhere that matters
  '5': 'directory',
  D: 'directory', // GNU dump directory
  '1': 'a hard link',
  '2': 'a symbolic link',
  '3': 'a character device',
  '4': 'a block device',
  '6': 'a fifo',
  S: 'a GNU sparse file',
}

interface FileRecord {
  /** The raw entry name, for a warning. */
  name: string
  mode: number
  size: number
  /** Another entry needs this path as a folder: not written (or removed again), warned about at the end. */
  dropped: boolean
  /** CRC-32 of the content, with `hashFiles`; set when the entry ends. */
  crc32?: number
}

/**
 * Writes a package's entries as the tar reader meets them, with the result a whole-archive pass
 * would give: the last of duplicate entries wins (and takes the last place in the list), a file
 * whose path any other entry needs as a folder is dropped, a folder entry replaces an earlier file.
 * Files are opened with `O_CREAT | O_EXCL` (`wx`) and written piece by piece on that one descriptor.
 */
export class PackageWriter implements TarHandler {
  /** Every accepted file path in list order; `dropped` ones are reported, not listed. */
  readonly #files = new Map<string, FileRecord>()
  /** Folders some accepted entry lies below: they stay folders whatever comes later. Closed under parent. */
  readonly #needed = new Set<string>()
  /** Folders created for folder entries that nothing lies below (yet): a later file may replace them. */
  readonly #explicit = new Set<string>()
  readonly #destDir: string
  readonly #options: ExtractOptions
  #fd = -1
  /** The file being written (with `hashFiles`) and its running CRC-32. */
  #record: FileRecord | undefined
  #crc = 0
  /** The path last handed to the file system, for the EEXTRACT message. */
  target: string

  constructor(destDir: string, options: ExtractOptions) {
    this.#destDir = destDir
    this.#options = options
    this.target = destDir
  }

  start(): void {
    mkdirSync(this.#destDir, { recursive: true })
  }

  entry(entry: TarEntry): boolean {
    const kind = KINDS[entry.type] ?? `an unsupported entry type "${entry.type}"`
    if (kind !== 'file' && kind !== 'directory') {
      this.#drop(entry.name, kind)
      return false
    }
    const where = entryPath(entry.name)
    if (where.kind === 'refused') {
      this.#drop(entry.name, where.reason)
      return false
    }
    if (where.kind === 'top') {
      if (kind === 'file') this.#drop(entry.name, 'a file outside the package folder')
      return false
    }
    const path = where.path
    this.#makeParents(path)
    if (kind === 'directory') {
      this.#files.delete(path) // a file written earlier is replaced below, by makeDir
      if (!this.#needed.has(path) && !this.#explicit.has(path)) {
        this.#explicit.add(path)
        this.#makeDir(path)
      }
      return false
    }
    const mode = entry.mode & 0o111 ? 0o755 : 0o644
    const dropped = this.#needed.has(path)
    this.#files.delete(path) // the last entry wins, and takes the last place
    const record: FileRecord = { name: entry.name, mode, size: entry.size, dropped }
    this.#files.set(path, record)
    if (dropped) return false
    this.#explicit.delete(path) // nothing lies below it: the file replaces the folder (in #openFile)
    this.#openFile(path, mode)
    if (this.#options.hashFiles) {
      this.#record = record
      this.#crc = 0
    }
    return true
  }

  data(chunk: Buffer, start: number, end: number): void {
    // Checksummed from the bytes in hand: reading the files back later would cost a syscall or more
    // each. CRC-32, not a cryptographic hash: it only has to see damage (why that is enough: the
    // content cache's README); zlib's takes a third of sha256's CPU per byte, a fifth per file.
    if (this.#record) this.#crc = crc32(chunk.subarray(start, end), this.#crc)
    while (start < end) start += writeSync(this.#fd, chunk, start, end - start)
  }

  entryEnd(): void {
    const fd = this.#fd
    this.#fd = -1
    closeSync(fd)
    if (this.#record) this.#record.crc32 = this.#crc
    this.#record = undefined
  }

  /** The files written, in list order; reports the files dropped for a folder (as a whole-archive pass would, last). */
  finish(): PackageFile[] {
    const written: PackageFile[] = []
    for (const [path, record] of this.#files) {
      if (record.dropped) this.#drop(record.name, 'a file where other entries need a folder')
      else if (record.crc32 === undefined) written.push({ path, mode: record.mode, size: record.size })
      else written.push({ path, mode: record.mode, size: record.size, crc32: record.crc32 })
    }
    return written
  }

  /** Closes a file left open by an error. */
  close(): void {
    if (this.#fd === -1) return
    const fd = this.#fd
    this.#fd = -1
    try {
      closeSync(fd)
    } catch {}
  }

  #drop(name: string, reason: string): void {
    const { packageId, onWarning } = this.#options
    onWarning?.({
      code: 'ETARBADENTRY',
      message: `${packageId ?? 'tarball'}: dropped entry "${name}": ${reason}`,
      ...(packageId === undefined ? {} : { package: packageId }),
    })
  }

  /** Makes every parent folder of `path` once; a file of ours in the way is dropped and replaced. */
  #makeParents(path: string): void {
    const slash = path.lastIndexOf('/')
    if (slash === -1) return
    const parent = path.slice(0, slash)
    if (this.#needed.has(parent)) return
    this.#makeParents(parent)
    this.#needed.add(parent)
    const record = this.#files.get(parent)
    if (record) record.dropped = true // makeDir removes the file
    if (this.#explicit.delete(parent)) return // already made, for its folder entry
    this.#makeDir(parent)
  }

  #makeDir(path: string): void {
    const dir = `${this.#destDir}/${path}`
    this.target = dir
    try {
      mkdirSync(dir)
      return
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    if (lstatSync(dir).isDirectory()) return
    rmSync(dir, { force: true }) // our own earlier file, or a file or symlink in a reused folder: never followed
    mkdirSync(dir)
  }

  #openFile(path: string, mode: number): void {
    const file = `${this.#destDir}/${path}`
    this.target = file
    try {
      // 'wx' = O_CREAT | O_EXCL: fails on anything already there, a symlink included, so none is followed.
      this.#fd = openSync(file, 'wx', mode)
      return
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    // A duplicate entry, a folder entry this file replaces, or something in a reused folder.
    rmSync(file, { recursive: true, force: true }) // rm removes a symlink itself, not what it points to
    this.#fd = openSync(file, 'wx', mode)
  }
}
