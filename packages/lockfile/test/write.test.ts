import { spawnSync } from 'node:child_process'
import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { isToteError } from '@tote/types'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempPathFor } from '../src/_temp-files.js'
import type { LockfileWriteFs } from '../src/index.js'
import {
  parseLockfile,
  readLockfile,
  removeOwnTempFilesSync,
  removeStaleTempFiles,
  stringifyLockfile,
  writeLockfile,
  writeLockfileText,
} from '../src/index.js'
import { fixtureText } from './_fixtures.js'

let folder: string
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'tote-lockfile-'))
})
afterEach(async () => {
  await rm(folder, { recursive: true, force: true })
})

/** A process id that no process has now: a child that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid
}

const OLD = fixtureText('tabs-crlf')
const NEW = fixtureText('crafted-registry')

/** Real file operations, with one step replaced. */
function failingFs(step: 'writeFile' | 'rename', written: string[]): LockfileWriteFs {
  return {
    async writeFile(path, data, mode) {
      written.push(path)
      if (step === 'writeFile') {
        // A crash halfway: part of the text reaches the disk, then the write fails.
        await writeFile(path, data.slice(0, data.length / 2), { mode })
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
      }
      await writeFile(path, data, { mode })
    },
    async rename() {
      throw Object.assign(new Error('EPERM: operation not permitted, rename'), { code: 'EPERM' })
    },
    rm: (path) => rm(path, { force: true }),
  }
}

describe('readLockfile', () => {
  it('returns undefined when there is no lockfile', async () => {
    expect(await readLockfile(join(folder, 'package-lock.json'))).toBeUndefined()
  })

  it('parses the file and names it in errors', async () => {
    const path = join(folder, 'package-lock.json')
    await writeFile(path, OLD)
    expect((await readLockfile(path))?.packages['node_modules/is-odd']?.version).toBe('3.0.1')
    await writeFile(path, '{"lockfileVersion": 3,')
    await expect(readLockfile(path)).rejects.toThrow(`${path}: invalid JSON`)
  })

  it('reports a lockfile it cannot read as ELOCKFILE', async () => {
    const path = join(folder, 'package-lock.json')
    await mkdir(path)
    const error = await readLockfile(path).catch((caught: unknown) => caught)
    expect(isToteError(error) && error.code).toBe('ELOCKFILE')
    expect((error as Error).message).toContain(`Cannot read ${path}`)
  })
})

describe('writeLockfile', () => {
  it('writes the text stringifyLockfile makes and leaves no temporary file', async () => {
    const path = join(folder, 'package-lock.json')
    const lockfile = parseLockfile(NEW)
    await writeLockfile(path, lockfile)
    expect(await readFile(path, 'utf8')).toBe(NEW)
    await writeLockfile(path, lockfile, { indent: '\t', newline: '\r\n' })
    expect(await readFile(path, 'utf8')).toBe(stringifyLockfile(lockfile, { indent: '\t', newline: '\r\n' }))
    expect(await readdir(folder)).toEqual(['package-lock.json'])
  })

  it.each(['writeFile', 'rename'] as const)(
    'leaves the old lockfile intact when %s fails, and removes the temporary file',
    async (step) => {
      const path = join(folder, 'package-lock.json')
      await writeFile(path, OLD)
      const written: string[] = []
      const error = await writeLockfile(path, parseLockfile(NEW), { fs: failingFs(step, written) }).catch(
        (caught: unknown) => caught,
      )
      expect(isToteError(error) && error.code).toBe('ELOCKFILE')
      expect((error as Error).message).toContain(`Cannot write ${path}`)
      expect(await readFile(path, 'utf8')).toBe(OLD)
      expect(await readdir(folder)).toEqual(['package-lock.json'])
      // The temporary file was in the lockfile's own folder, so the rename cannot cross devices.
      expect(written.map((temp) => dirname(temp))).toEqual([folder])
    },
  )

  it('keeps the permissions of the file it replaces', async () => {
    const path = join(folder, 'package-lock.json')
    await writeFile(path, OLD, { mode: 0o600 })
    await writeLockfile(path, parseLockfile(NEW))
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(await readFile(path, 'utf8')).toBe(NEW)
  })

  it('writes a text it is given as it is, with the same atomic replace (writeLockfileText)', async () => {
    const path = join(folder, 'package-lock.json')
    await writeFile(path, OLD, { mode: 0o600 })
    const text = stringifyLockfile(parseLockfile(NEW), { indent: '\t' })
    await writeLockfileText(path, text)
    expect(await readFile(path, 'utf8')).toBe(text)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(await readdir(folder)).toEqual(['package-lock.json'])
    const error = await writeLockfileText(path, NEW, { fs: failingFs('rename', []) }).catch(
      (caught: unknown) => caught,
    )
    expect(isToteError(error) && error.code).toBe('ELOCKFILE')
    expect(await readFile(path, 'utf8')).toBe(text)
    expect(await readdir(folder)).toEqual(['package-lock.json'])
  })

  it('fails with ELOCKFILE when the folder does not exist', async () => {
    const path = join(folder, 'missing', 'package-lock.json')
    await expect(writeLockfile(path, parseLockfile(NEW))).rejects.toMatchObject({ code: 'ELOCKFILE' })
  })
})

describe('writeLockfile through a symlink', () => {
  it('replaces the file the link points to and keeps the link', async () => {
    const real = join(folder, 'real-lock.json')
    const link = join(folder, 'package-lock.json')
    await writeFile(real, OLD)
    await symlink(real, link)
    await writeLockfile(link, parseLockfile(NEW))
    expect((await lstat(link)).isSymbolicLink()).toBe(true)
    expect(await readFile(real, 'utf8')).toBe(NEW)
  })
})

describe('temporary files of killed writers', () => {
  /** Real writes, but the process "dies" before the rename: its temporary file stays. */
  function killedBeforeRename(): { fs: LockfileWriteFs; written: Promise<void> } {
    let written!: () => void
    return {
      fs: {
        writeFile: (path, data, mode) => writeFile(path, data, { mode }),
        rename: () => {
          written()
          return new Promise(() => {})
        },
        rm: async () => {},
      },
      written: new Promise((resolve) => {
        written = resolve
      }),
    }
  }
  const twoMinutesAgo = () => new Date(Date.now() - 2 * 60_000)

  it('are removed once their process is gone; a live process keeps its own', async () => {
    const hiddenFolder = join(folder, 'node_modules')
    await mkdir(hiddenFolder)
    for (const path of [join(folder, 'package-lock.json'), join(hiddenFolder, '.package-lock.json')]) {
      await writeFile(path, OLD)
      // This (live) process's write, stuck before its rename, as the writer names it.
      const stuck = killedBeforeRename()
      void writeLockfileText(path, NEW, { fs: stuck.fs })
      await stuck.written
      // A killed process's, named the same way.
      await writeFile(tempPathFor(path, deadPid()), NEW.slice(0, 100))
    }
    const names = async (dir: string) => (await readdir(dir)).filter((name) => name.endsWith('.tmp'))
    const live = [...(await names(folder)), ...(await names(hiddenFolder))].filter((name) =>
      name.includes(`.${process.pid}-`),
    )
    expect(live).toEqual([
      expect.stringMatching(/^\.package-lock\.json\.\d+-[0-9a-f]{12}\.tmp$/),
      expect.stringMatching(/^\.\.package-lock\.json\.\d+-[0-9a-f]{12}\.tmp$/),
    ])
    for (const dir of [folder, hiddenFolder])
      for (const name of await names(dir)) await utimes(join(dir, name), twoMinutesAgo(), twoMinutesAgo())
    // Just written by a process that is gone: a live writer elsewhere sharing the folder may own it.
    const fresh = tempPathFor(join(folder, 'package-lock.json'), deadPid())
    await writeFile(fresh, '')

    expect(await removeStaleTempFiles(folder)).toBe(1)
    expect(await removeStaleTempFiles(hiddenFolder)).toBe(1)
    expect((await names(folder)).sort()).toEqual([live[0], basename(fresh)].sort())
    expect(await names(hiddenFolder)).toEqual([live[1]])
    expect(await readFile(join(folder, 'package-lock.json'), 'utf8')).toBe(OLD)

    // The process itself, about to exit, removes its own whatever their age.
    expect(removeOwnTempFilesSync(folder) + removeOwnTempFilesSync(hiddenFolder)).toBe(2)
    expect(await names(folder)).toEqual([basename(fresh)])
  })

  it('never touches files that are not lockfile temporary files', async () => {
    const old = new Date(Date.now() - 3 * 60 * 60_000)
    const names = [`.env.${deadPid()}-0123456789ab.tmp`, `package-lock.json.${deadPid()}.tmp`, 'notes.tmp']
    for (const name of names) {
      await writeFile(join(folder, name), '')
      await utimes(join(folder, name), old, old)
    }
    expect(await removeStaleTempFiles(folder)).toBe(0)
    expect((await readdir(folder)).sort()).toEqual([...names].sort())
  })
})
