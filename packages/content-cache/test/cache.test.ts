import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isToteError } from '@tote/types'
import { describe, expect, it, vi } from 'vitest'
import { createContentCache } from '../src/index.js'
import { sri, tempDir } from './_helpers.js'

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
    expect(await cache.lookup(integrity)).toBeUndefined()

    const added = await cache.add(integrity, writeDemo)
    const expected = {
      integrity,
      dir: join(cache.entryDir(integrity), 'package'),
      files: writeDemo(tempDir()).files,
    }
    expect(added).toEqual(expected)
    expect(await cache.lookup(integrity)).toEqual(expected)
    expect(cache.lookupSync(integrity)).toEqual(expected)
    expect(readFileSync(join(added.dir, 'lib/index.js'), 'utf8')).toBe('module.exports = 1\n')
    const index = JSON.parse(readFileSync(join(cache.entryDir(integrity), 'index.json'), 'utf8'))
    expect(index).toMatchObject({ format: 1, integrity, files: expected.files })
    expect(index.checksum).toMatch(/^sha256-/)
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]) // the staging folder was renamed away
  })

  it('returns an existing entry without writing again', async () => {
    const cache = createContentCache({ dir: tempDir() })
    await cache.add(sri('once'), writeDemo)
    const write = vi.fn(writeDemo)
    const again = await cache.add(sri('once'), write)
    expect(write).not.toHaveBeenCalled()
    expect(again.files).toHaveLength(2)
  })

  it('keys by the strongest hash of a multi-hash integrity, and refuses unusable ones', async () => {
    const cache = createContentCache({ dir: tempDir() })
    const strong = sri('multi')
    const both = `${sri('multi', 'sha1')} ${strong}?opt unknown-abc`
    expect(cache.entryDir(both)).toBe(cache.entryDir(strong))
    await cache.add(both, writeDemo)
    expect((await cache.lookup(strong))?.files).toHaveLength(2)
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
        await cache.add(sri('other'), writeDemo)
        await cache.add(integrity, writeDemo)
        apply(cache.entryDir(integrity), dir)
        expect(await cache.lookup(integrity)).toBeUndefined()
        expect(cache.lookupSync(integrity)).toBeUndefined()

        const repaired = await cache.add(integrity, writeDemo)
        expect(repaired.files).toHaveLength(2)
        expect(await cache.lookup(integrity)).toEqual(repaired)
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
      cache.add(sri('fails'), (packageDir) => {
        writeFileSync(join(packageDir, 'half.js'), '')
        throw failure
      }),
    ).rejects.toBe(failure)
    expect(await cache.lookup(sri('fails'))).toBeUndefined()
    expect(readdirSync(join(dir, 'tmp'))).toEqual([])
  })

  it('removes an entry: renamed away, then deleted', async () => {
    const dir = tempDir()
    const cache = createContentCache({ dir })
    await cache.add(sri('gone'), writeDemo)
    expect(await cache.remove(sri('gone'))).toBe(true)
    expect(await cache.lookup(sri('gone'))).toBeUndefined()
    expect(readdirSync(join(cache.entryDir(sri('gone')), '..'))).toEqual([])
    expect(readdirSync(join(dir, 'tmp'))).toEqual([])
    expect(await cache.remove(sri('gone'))).toBe(false)
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
      cache.add(sri('interrupted'), (packageDir) => {
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
