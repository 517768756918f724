import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  appendFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { isToteError } from '@tote/types'
import { describe, expect, it, vi } from 'vitest'
import { createContentCache } from '../src/index.js'
import { afterFileClockPasses, sri, tempDir } from './_helpers.js'

const demo = { name: 'demo', version: '1.0.0' }

/** A process id that no process has now: a child that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid
}

function writeDemo(packageDir: string) {
  mkdirSync(join(packageDir, 'lib'))
  writeFileSync(join(packageDir, 'package.json'), '{"name":"demo"}')
  writeFileSync(join(packageDir, 'lib/index.js'), 'module.exports = 1\n', { mode: 0o755 })
  return {
    files: [
      { path: 'package.json', mode: 0o644, size: 15 },
      { path: 'lib/index.js', mode: 0o755, size: 19 },
    ],
  }
}

describe('content cache', () => {
  it('adds an entry in the versioned layout, then finds it', async () => {
    const dir = tempDir()
    const cache = createContentCache({ dir })
    const integrity = sri('demo')
    const hex = Buffer.from(integrity.slice('sha512-'.length), 'base64').toString('hex')
    expect(cache.entryDir(integrity)).toBe(join(dir, 'content-v1', 'sha512', hex.slice(0, 2), hex.slice(2)))
    expect(await cache.lookup(integrity, demo)).toEqual({ status: 'missing' })
    expect(cache.has(integrity)).toBe(false)

    const added = await cache.add(integrity, demo, writeDemo)
    const expected = {
      integrity,
      dir: join(cache.entryDir(integrity), 'package'),
      files: writeDemo(tempDir()).files,
    }
    expect(added).toEqual(expected)
    expect(cache.has(integrity)).toBe(true)
    expect(await cache.lookup(integrity, demo)).toEqual({ status: 'found', entry: expected })
    expect(cache.lookupSync(integrity, demo)).toEqual({ status: 'found', entry: expected })
    expect(readFileSync(join(added.dir, 'lib/index.js'), 'utf8')).toBe('module.exports = 1\n')
    const index = JSON.parse(readFileSync(join(cache.entryDir(integrity), 'index.json'), 'utf8'))
    expect(index).toMatchObject({
      format: 3,
      integrity,
      name: 'demo',
      version: '1.0.0',
      files: expected.files,
    })
    expect(index.checksum).toMatch(/^sha256-/)
    // No file was written after "written at", which is the file system's own time.
    const writtenAt = index.writtenAt as number
    for (const file of expected.files) {
      expect(statSync(join(added.dir, file.path)).mtimeMs).toBeLessThanOrEqual(writtenAt)
    }
    // The files' CRC-32s, read back (writeDemo gives none), 4 bytes each (big-endian) in list order.
    const hashes = Buffer.from(index.hashes, 'base64')
    expect(hashes.length).toBe(8)
    expect(hashes.readUInt32BE(0)).toBe(crc32('{"name":"demo"}'))
    expect(hashes.readUInt32BE(4)).toBe(crc32('module.exports = 1\n'))
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]) // the staging folder was renamed away
  })

  it('returns an existing entry without writing again', async () => {
    const cache = createContentCache({ dir: tempDir() })
    await cache.add(sri('once'), demo, writeDemo)
    const write = vi.fn(writeDemo)
    const again = await cache.add(sri('once'), demo, write)
    expect(write).not.toHaveBeenCalled()
    expect(again.files).toHaveLength(2)
  })

  it('keys by the strongest hash of a multi-hash integrity, and refuses unusable ones', async () => {
    const cache = createContentCache({ dir: tempDir() })
    const strong = sri('multi')
    const both = `${sri('multi', 'sha1')} ${strong}?opt unknown-abc`
    expect(cache.entryDir(both)).toBe(cache.entryDir(strong))
    await cache.add(both, demo, writeDemo)
    expect(cache.lookupSync(strong, demo)).toMatchObject({ status: 'found', entry: { integrity: strong } })
    expect(cache.entryDir(sri('old', 'sha1'))).toContain(join('content-v1', 'sha1'))

    for (const bad of [
      '',
      'sha512-',
      'md5-abc',
      'sha512-notbase64!',
      `sha512-${Buffer.alloc(10).toString('base64')}`,
    ]) {
      let thrown: unknown
      try {
        cache.entryDir(bad)
      } catch (error) {
        thrown = error
      }
      expect(isToteError(thrown) && thrown.code).toBe('EBADINTEGRITY')
    }
  })

  describe('a damaged entry reads as missing, and adding it again repairs it', () => {
    const damages: Record<string, (entry: string, cacheDir: string) => void> = {
      'an edited index.json': (entry) => {
        const path = join(entry, 'index.json')
        writeFileSync(path, readFileSync(path, 'utf8').replace('"size":19', '"size":20'))
      },
      'a truncated index.json': (entry) => {
        const path = join(entry, 'index.json')
        writeFileSync(path, readFileSync(path, 'utf8').slice(0, 60))
      },
      'an index.json with a field after its checksum (JSON keeps the last of two)': (entry) => {
        const path = join(entry, 'index.json')
        const text = readFileSync(path, 'utf8').trimEnd()
        writeFileSync(path, `${text.slice(0, -1)},"files":[{"path":"package.json","mode":420,"size":15}]}\n`)
      },
      'an index.json with its fields in another order': (entry) => {
        const path = join(entry, 'index.json')
        const { format, ...rest } = JSON.parse(readFileSync(path, 'utf8'))
        writeFileSync(path, `${JSON.stringify({ ...rest, format })}\n`)
      },
      'an empty index.json': (entry) => writeFileSync(join(entry, 'index.json'), ''),
      'a missing index.json': (entry) => rmSync(join(entry, 'index.json')),
      'a missing package folder': (entry) => rmSync(join(entry, 'package'), { recursive: true }),
      'a package folder that is a file': (entry) => {
        rmSync(join(entry, 'package'), { recursive: true })
        writeFileSync(join(entry, 'package'), '')
      },
      "another entry's index.json": (entry, cacheDir) => {
        const other = createContentCache({ dir: cacheDir })
        writeFileSync(
          join(entry, 'index.json'),
          readFileSync(join(other.entryDir(sri('other')), 'index.json')),
        )
      },
    }
    for (const [damage, apply] of Object.entries(damages)) {
      it(damage, async () => {
        const dir = tempDir()
        const cache = createContentCache({ dir })
        const integrity = sri('damaged')
        await cache.add(sri('other'), demo, writeDemo)
        await cache.add(integrity, demo, writeDemo)
        apply(cache.entryDir(integrity), dir)
        expect((await cache.lookup(integrity, demo)).status).toMatch(/^(damaged|missing)$/)
        expect(cache.lookupSync(integrity, demo).status).toMatch(/^(damaged|missing)$/)

        const repaired = await cache.add(integrity, demo, writeDemo)
        expect(repaired.files).toHaveLength(2)
        expect(await cache.lookup(integrity, demo)).toEqual({ status: 'found', entry: repaired })
        expect(readFileSync(join(repaired.dir, 'package.json'), 'utf8')).toBe('{"name":"demo"}')
        expect(readdirSync(join(dir, 'tmp'))).toEqual([])
      })
    }
  })

  it('adds nothing when write throws, and leaves no staging folder', async () => {
    const dir = tempDir()
    const cache = createContentCache({ dir })
    const failure = new Error('tarball damaged')
    await expect(
      cache.add(sri('fails'), demo, (packageDir) => {
        writeFileSync(join(packageDir, 'half.js'), '')
        throw failure
      }),
    ).rejects.toBe(failure)
    expect(await cache.lookup(sri('fails'), demo)).toEqual({ status: 'missing' })
    expect(readdirSync(join(dir, 'tmp'))).toEqual([])
  })

  it('removes an entry: renamed away, then deleted', async () => {
    const dir = tempDir()
    const cache = createContentCache({ dir })
    await cache.add(sri('gone'), demo, writeDemo)
    expect(await cache.remove(sri('gone'))).toBe(true)
    expect(await cache.lookup(sri('gone'), demo)).toEqual({ status: 'missing' })
    expect(readdirSync(join(cache.entryDir(sri('gone')), '..'))).toEqual([])
    expect(readdirSync(join(dir, 'tmp'))).toEqual([])
    expect(await cache.remove(sri('gone'))).toBe(false)
  })

  describe('addSync and removeSync (what worker threads call)', () => {
    it('adds the entry add would, and returns an existing one without writing again', async () => {
      const dir = tempDir()
      const cache = createContentCache({ dir })
      const integrity = sri('sync')
      const added = cache.addSync(integrity, demo, writeDemo)
      expect(added).toEqual({
        integrity,
        dir: join(cache.entryDir(integrity), 'package'),
        files: writeDemo(tempDir()).files,
      })
      expect(await cache.lookup(integrity, demo)).toEqual({ status: 'found', entry: added })
      const write = vi.fn(writeDemo)
      expect(cache.addSync(integrity, demo, write)).toEqual(added)
      expect(write).not.toHaveBeenCalled()
      expect(readdirSync(join(dir, 'tmp'))).toEqual([])
      // add() finds it too: both write one layout.
      expect(await cache.add(integrity, demo, write)).toEqual(added)
      expect(write).not.toHaveBeenCalled()
    })

    it("replaces a damaged entry, and another package's", () => {
      const dir = tempDir()
      const cache = createContentCache({ dir })
      const integrity = sri('replaced')
      rmSync(join(cache.addSync(integrity, demo, writeDemo).dir, 'lib/index.js'))
      expect(cache.lookupSync(integrity, demo)).toMatchObject({ status: 'damaged', file: 'lib/index.js' })
      const repaired = cache.addSync(integrity, demo, writeDemo)
      expect(cache.lookupSync(integrity, demo)).toEqual({ status: 'found', entry: repaired })

      const other = { name: 'other', version: '2.0.0' }
      const theirs = cache.addSync(integrity, other, writeDemo)
      expect(cache.lookupSync(integrity, other)).toEqual({ status: 'found', entry: theirs })
      expect(cache.lookupSync(integrity, demo)).toEqual({ status: 'other-package', holds: other })
      expect(readdirSync(join(dir, 'tmp'))).toEqual([])
    })

    it('adds nothing when write throws, and leaves no staging folder', () => {
      const dir = tempDir()
      const cache = createContentCache({ dir })
      const failure = new Error('tarball damaged')
      expect(() =>
        cache.addSync(sri('fails'), demo, (packageDir) => {
          writeFileSync(join(packageDir, 'half.js'), '')
          throw failure
        }),
      ).toThrow(failure)
      expect(cache.lookupSync(sri('fails'), demo)).toEqual({ status: 'missing' })
      expect(readdirSync(join(dir, 'tmp'))).toEqual([])
    })

    it('returns the entry of a writer that renamed first, and drops its own copy', () => {
      const dir = tempDir()
      const cache = createContentCache({ dir })
      const integrity = sri('raced-sync')
      let first: ReturnType<typeof cache.addSync> | undefined
      // While this add writes, another one (another process, in life) adds the same entry whole.
      const second = cache.addSync(integrity, demo, (packageDir) => {
        first = createContentCache({ dir }).addSync(integrity, demo, writeDemo)
        const written = writeDemo(packageDir)
        writeFileSync(join(packageDir, 'mine.txt'), 'the copy that lost')
        return written
      })
      expect(second).toEqual(first)
      expect(readdirSync(second.dir).sort()).toEqual(['lib', 'package.json'])
      expect(readdirSync(join(dir, 'tmp'))).toEqual([])
    })

    it('removeSync renames the entry away, then deletes it', () => {
      const dir = tempDir()
      const cache = createContentCache({ dir })
      cache.addSync(sri('gone'), demo, writeDemo)
      expect(cache.removeSync(sri('gone'))).toBe(true)
      expect(cache.lookupSync(sri('gone'), demo)).toEqual({ status: 'missing' })
      expect(readdirSync(join(cache.entryDir(sri('gone')), '..'))).toEqual([])
      expect(readdirSync(join(dir, 'tmp'))).toEqual([])
      expect(cache.removeSync(sri('gone'))).toBe(false)
    })
  })

  it("cleanStaging removes the staging folders of gone processes and old ones, never a live writer's", async () => {
    const dir = tempDir()
    const cache = createContentCache({ dir })
    expect(await cache.cleanStaging()).toBe(0) // no tmp folder yet
    const dead = deadPid()
    const stage = (name: string, ageMinutes: number) => {
      mkdirSync(join(dir, 'tmp', name, 'package'), { recursive: true })
      writeFileSync(join(dir, 'tmp', name, 'package', 'half.js'), '')
      const then = new Date(Date.now() - ageMinutes * 60_000)
      utimesSync(join(dir, 'tmp', name), then, then)
    }
    stage(`add-${dead}-0a1b2c`, 2) // killed two minutes ago
    stage(`removed-${dead}-3d4e5f`, 2)
    stage(`add-${process.pid}-aaaaaa`, 2) // this process: alive
    stage(`add-${deadPid()}-bbbbbb`, 0) // gone, but just written: maybe by a live process elsewhere
    stage('add-not-ours', 600)
    expect(await cache.cleanStaging()).toBe(2)
    const left = [`add-${process.pid}-aaaaaa`, 'add-not-ours']
    expect(readdirSync(join(dir, 'tmp')).sort()).toEqual(expect.arrayContaining(left))
    expect(readdirSync(join(dir, 'tmp'))).toHaveLength(3)
    // Past the limit, whoever wrote it: a pid may have been reused.
    expect(await cache.cleanStaging({ olderThanMinutes: 90 })).toBe(0)
    stage(`add-${process.pid}-aaaaaa`, 120)
    expect(await cache.cleanStaging({ olderThanMinutes: 90 })).toBe(1)
  })

  it("cleanOwnStagingSync removes this process's staging folders, one being written included", async () => {
    const dir = tempDir()
    const cache = createContentCache({ dir })
    mkdirSync(join(dir, 'tmp', `add-${deadPid()}-cccccc`), { recursive: true })
    let removed = -1
    await expect(
      cache.add(sri('interrupted'), demo, (packageDir) => {
        writeDemo(packageDir)
        removed = cache.cleanOwnStagingSync()
        throw new Error('interrupted')
      }),
    ).rejects.toThrow('interrupted')
    expect(removed).toBe(1)
    expect(readdirSync(join(dir, 'tmp'))).toHaveLength(1)
    expect(cache.cleanOwnStagingSync()).toBe(0)
  })
})

describe('an entry is bound to the package it was fetched for', () => {
  it('is not used for another package with the same integrity, and adding that one replaces it', async () => {
    const cache = createContentCache({ dir: tempDir() })
    const integrity = sri('shared')
    const other = { name: 'other', version: '2.0.0' }
    await cache.add(integrity, demo, writeDemo)
    expect(cache.has(integrity)).toBe(true)
    expect(cache.lookupSync(integrity, other)).toEqual({ status: 'other-package', holds: demo })
    expect(await cache.lookup(integrity, other)).toEqual({ status: 'other-package', holds: demo })
    expect(cache.lookupSync(integrity, { name: 'demo', version: '1.0.1' })).toMatchObject({
      status: 'other-package',
    })

    // Only a caller that verified the bytes against the integrity adds: then they are that package's.
    const write = vi.fn(writeDemo)
    await cache.add(integrity, other, write)
    expect(write).toHaveBeenCalledTimes(1)
    expect(cache.lookupSync(integrity, other)).toMatchObject({ status: 'found' })
    expect(cache.lookupSync(integrity, demo)).toEqual({ status: 'other-package', holds: other })
  })
})

/** Sets a file's mtime a minute back, to before its entry was written (as `touch -d` could). */
function setBack(file: string): void {
  const past = new Date(Date.now() - 60_000)
  utimesSync(file, past, past)
}

describe('files changed after they were cached read as damaged, and adding again repairs them', () => {
  const changes: Record<string, { apply(file: string, dir: string): void; reason: RegExp }> = {
    'edited in place, same size (as through a hard link)': {
      apply(file, dir) {
        afterFileClockPasses(file, dir)
        writeFileSync(file, 'module.exports = 2\n')
      },
      reason: /^lib\/index\.js was modified after it was cached$/,
    },
    'replaced by another file of the same size': {
      apply(file, dir) {
        afterFileClockPasses(file, dir)
        writeFileSync(`${file}.new`, 'module.exports = 3\n')
        renameSync(`${file}.new`, file)
      },
      reason: /modified after it was cached/,
    },
    'grown, its mtime set back': {
      apply(file) {
        appendFileSync(file, '// more\n')
        setBack(file)
      },
      reason: /^lib\/index\.js has 27 bytes, not 19$/,
    },
    'replaced by a symlink': {
      apply(file, dir) {
        writeFileSync(join(dir, 'elsewhere.js'), 'module.exports = 4\n')
        rmSync(file)
        symlinkSync(join(dir, 'elsewhere.js'), file)
      },
      reason: /^lib\/index\.js is no longer a regular file$/,
    },
    deleted: { apply: (file) => rmSync(file), reason: /^lib\/index\.js is missing$/ },
  }
  for (const [change, { apply, reason }] of Object.entries(changes)) {
    it(change, async () => {
      const dir = tempDir()
      const cache = createContentCache({ dir })
      const integrity = sri('changed')
      const entry = await cache.add(integrity, demo, writeDemo)
      apply(join(entry.dir, 'lib/index.js'), dir)
      for (const found of [cache.lookupSync(integrity, demo), await cache.lookup(integrity, demo)]) {
        expect(found).toMatchObject({ status: 'damaged', file: 'lib/index.js' })
        expect(found.status === 'damaged' && found.reason).toMatch(reason)
      }
      const repaired = await cache.add(integrity, demo, writeDemo)
      expect(readFileSync(join(repaired.dir, 'lib/index.js'), 'utf8')).toBe('module.exports = 1\n')
      expect(cache.lookupSync(integrity, demo)).toEqual({ status: 'found', entry: repaired })
    })
  }

  it('an edit that keeps size and mtime passes a lookup (verify finds it)', async () => {
    const cache = createContentCache({ dir: tempDir() })
    const entry = await cache.add(sri('sly'), demo, writeDemo)
    const file = join(entry.dir, 'lib/index.js')
    writeFileSync(file, 'module.exports = 9\n')
    setBack(file)
    expect(cache.lookupSync(sri('sly'), demo)).toMatchObject({ status: 'found' })
    const summary = await cache.verify()
    expect(summary.damaged).toMatchObject([
      { reason: 'lib/index.js does not match the hash recorded when it was cached', removed: true },
    ])
  })
})

/**
 * An index.json as an older tote wrote it: before entries recorded their package (format 1), or
 * with a sha256 per file (format 2).
 */
function writeFormat1Entry(
  cache: ReturnType<typeof createContentCache>,
  integrity: string,
  format = 1,
): void {
  const entry = cache.entryDir(integrity)
  mkdirSync(join(entry, 'package'), { recursive: true })
  const files = writeDemo(join(entry, 'package')).files
  const extra =
    format === 1
      ? {}
      : {
          name: demo.name,
          version: demo.version,
          writtenAt: Date.now() + 60_000,
          files,
          hashes: Buffer.alloc(files.length * 32).toString('base64'),
        }
  const body = { format, integrity, files, ...extra }
  const checksum = `sha256-${createHash('sha256').update(JSON.stringify(body)).digest('base64')}`
  writeFileSync(join(entry, 'index.json'), `${JSON.stringify({ ...body, checksum })}\n`)
}

it.each([1, 2])(
  'reads an entry of index format %i as missing, and replaces it when adding',
  async (format) => {
    const cache = createContentCache({ dir: tempDir() })
    const integrity = sri('old')
    writeFormat1Entry(cache, integrity, format)
    expect(cache.has(integrity)).toBe(true)
    expect(cache.lookupSync(integrity, demo)).toEqual({ status: 'missing' })
    const write = vi.fn(writeDemo)
    await cache.add(integrity, demo, write)
    expect(write).toHaveBeenCalledTimes(1)
    expect(JSON.parse(readFileSync(join(cache.entryDir(integrity), 'index.json'), 'utf8')).format).toBe(3)
  },
)

it("records the writer's checksums as given, and checksums the files it did not", async () => {
  const cache = createContentCache({ dir: tempDir() })
  const wrong = crc32('not the content')
  await cache.add(sri('given'), demo, (packageDir) => {
    const { files } = writeDemo(packageDir)
    return { files: [{ ...files[0]!, crc32: wrong }, files[1]!] }
  })
  // The given hash was taken as is (so it does not match), and the other file was hashed here.
  expect((await cache.verify({ remove: false })).damaged).toMatchObject([
    { reason: 'package.json does not match the hash recorded when it was cached', removed: false },
  ])
})

describe('verify', () => {
  it('hashes every file of every entry, and reports and removes what is damaged or outdated', async () => {
    const dir = tempDir()
    const cache = createContentCache({ dir })
    const ok = await cache.add(sri('ok'), demo, writeDemo)
    const edited = await cache.add(sri('edited'), { name: 'edited', version: '1.0.0' }, writeDemo)
    await cache.add(sri('no-index'), demo, writeDemo)
    rmSync(join(cache.entryDir(sri('no-index')), 'index.json'))
    writeFormat1Entry(cache, sri('old'))
    const junk = join(dir, 'content-v1', 'sha512', 'zz', 'not-hex')
    mkdirSync(junk, { recursive: true })
    // Same size, an mtime from before it was cached: only the content's hash tells.
    const file = join(edited.dir, 'package.json')
    writeFileSync(file, '{"name":"EVIL"}')
    setBack(file)

    const kept = await cache.verify({ remove: false })
    expect(kept).toMatchObject({ entries: 5, outdated: 1, removed: 0 })
    expect(kept.damaged.map((entry) => entry.reason).sort()).toEqual([
      'it has no index.json',
      'its folder is not named for an integrity',
      'package.json does not match the hash recorded when it was cached',
    ])
    expect(cache.lookupSync(sri('edited'), { name: 'edited', version: '1.0.0' }).status).toBe('found')

    const seen: string[] = []
    const summary = await cache.verify({
      onEntry: (entry) => seen.push(`${entry.status} ${entry.integrity}`),
    })
    // The edited entry was read up to its first file; the whole entry was read.
    expect(summary).toMatchObject({ entries: 5, files: 3, bytes: 15 + 15 + 19, outdated: 1, removed: 4 })
    expect(summary.removedBytes).toBe(34) // by their index: the edited entry; the others have none readable
    expect(summary.damaged.find((entry) => entry.identity?.name === 'edited')).toMatchObject({
      integrity: sri('edited'),
      identity: { name: 'edited', version: '1.0.0' },
      status: 'damaged',
      files: 2,
      bytes: 34,
      removed: true,
    })
    expect(seen.sort()).toEqual(
      [
        `ok ${sri('ok')}`,
        `damaged ${sri('edited')}`,
        `damaged ${sri('no-index')}`,
        `outdated ${sri('old')}`,
        'damaged sha512/zz/not-hex',
      ].sort(),
    )
    expect(readdirSync(join(dir, 'content-v1', 'sha512', 'zz'))).toEqual([])
    expect(cache.lookupSync(sri('ok'), demo)).toEqual({ status: 'found', entry: ok })
    expect(cache.has(sri('edited'))).toBe(false)
    expect(cache.has(sri('old'))).toBe(false)

    expect(await cache.verify()).toMatchObject({ entries: 1, files: 2, damaged: [], removed: 0 })
  })

  it('finds nothing in a cache that was never written', async () => {
    const cache = createContentCache({ dir: join(tempDir(), 'none') })
    expect(await cache.verify()).toEqual({
      entries: 0,
      files: 0,
      bytes: 0,
      damaged: [],
      outdated: 0,
      removed: 0,
      removedBytes: 0,
    })
  })
})
