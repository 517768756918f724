import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTarball } from '@tote/test-registry'
import type { StageWarning } from '@tote/types'
import { describe, expect, it } from 'vitest'
import { EXTRACTIONS, expectNothingOutside, tempRoot, walk } from './_helpers.js'

type Entry = Parameters<typeof createTarball>[0][number]

describe.each(EXTRACTIONS)(
  'hostile tarballs never write outside destDir ($name)',
  ({ extract: extractTarballSync }) => {
    /**
     * Extracts `[good, hostile]` and checks: the hostile entry was dropped with a warning naming it (by
     * its pax path when it has one), and nothing but the good file was written, inside destDir only.
     */
    function expectDropped(hostile: Entry, reason: string): { root: string; dest: string } {
      const { root, dest } = tempRoot()
      const warnings: StageWarning[] = []
      const { files } = extractTarballSync(
        createTarball([{ path: 'package/index.js', content: 'good' }, hostile]),
        dest,
        { packageId: 'evil@6.6.6', onWarning: (warning) => warnings.push(warning) },
      )
      expect(warnings).toEqual([
        {
          code: 'ETARBADENTRY',
          message: `evil@6.6.6: dropped entry "${hostile.pax?.path ?? hostile.path}": ${reason}`,
          package: 'evil@6.6.6',
        },
      ])
      expect(files.map((file) => file.path)).toEqual(['index.js'])
      expect(walk(dest)).toEqual(['index.js'])
      expectNothingOutside(root)
      return { root, dest }
    }

    it('drops absolute paths (here: one that points into the temp folder)', () => {
      const { root } = tempRoot()
      expectDropped({ path: join(root, 'absolute.txt'), content: 'x' }, 'an absolute path')
      expectNothingOutside(root)
      expectDropped({ path: '/package/absolute.txt', content: 'x' }, 'an absolute path')
    })

    it('drops ".." segments', () => {
      expectDropped({ path: 'package/../../escape.txt', content: 'x' }, 'a ".." segment')
      expectDropped({ path: 'package/a/../../../escape.txt', content: 'x' }, 'a ".." segment')
      expectDropped({ path: 'package/harmless/../still-dropped.txt', content: 'x' }, 'a ".." segment')
      expectDropped({ path: '../escape.txt', content: 'x' }, 'a ".." segment')
    })

    it('treats backslashes as separators', () => {
      expectDropped({ path: 'a\\..\\..\\x', content: 'x' }, 'a ".." segment')
      expectDropped({ path: 'package\\..\\..\\escape.txt', content: 'x' }, 'a ".." segment')
      expectDropped({ path: '\\absolute.txt', content: 'x' }, 'an absolute path')
    })

    it('drops drive letters', () => {
      expectDropped({ path: 'C:\\escape.txt', content: 'x' }, 'a drive letter')
      expectDropped({ path: 'c:/escape.txt', content: 'x' }, 'a drive letter')
      expectDropped({ path: 'C:escape.txt', content: 'x' }, 'a drive letter')
      expectDropped({ path: 'package/D:/escape.txt', content: 'x' }, 'a drive letter')
    })

    it('drops symlinks and hard links, whatever they point to', () => {
      expectDropped({ path: 'package/up', type: 'symlink', linkTarget: '../../..' }, 'a symbolic link')
      expectDropped({ path: 'package/etc', type: 'symlink', linkTarget: '/etc' }, 'a symbolic link')
      expectDropped({ path: 'package/inside', type: 'symlink', linkTarget: 'index.js' }, 'a symbolic link')
      expectDropped({ path: 'package/passwd', type: 'hardlink', linkTarget: '/etc/passwd' }, 'a hard link')
      expectDropped({ path: 'package/same', type: 'hardlink', linkTarget: 'package/index.js' }, 'a hard link')
    })

    it('does not write through a dropped symlink: a later file below it lands inside destDir', () => {
      const { root, dest } = tempRoot()
      const tarball = createTarball([
        { path: 'package/link', type: 'symlink', linkTarget: root },
        { path: 'package/link/escape.txt', content: 'x' },
      ])
      extractTarballSync(tarball, dest)
      expect(walk(dest)).toEqual(['link', 'link/escape.txt'])
      expectNothingOutside(root)
    })

    it('drops character and block devices and fifos', () => {
      expectDropped({ path: 'package/tty', type: 'character' }, 'a character device')
      expectDropped({ path: 'package/sda', type: 'block' }, 'a block device')
      expectDropped({ path: 'package/pipe', type: 'fifo' }, 'a fifo')
    })

    it('drops names that no file system takes, and NUL bytes from pax paths', () => {
      expectDropped({ path: `package/${'n'.repeat(256)}`, content: 'x' }, 'a name longer than 255 bytes')
      expectDropped(
        { path: 'package/nul', pax: { path: 'package/a\0/../../../x' }, content: 'x' },
        'a NUL byte in the path',
      )
    })

    it('finds hostile names hidden in pax headers, GNU long names and long link names', () => {
      const long = `package/${'a/'.repeat(60)}${'../'.repeat(70)}escape.txt`
      expectDropped({ path: long, gnuLongName: true, content: 'x' }, 'a ".." segment')
      expectDropped({ path: long, content: 'x' }, 'a ".." segment')
      expectDropped({ path: 'package/ok.txt', pax: { path: '/etc/evil' }, content: 'x' }, 'an absolute path')
      expectDropped(
        { path: 'package/ok', type: 'symlink', linkTarget: `/${'x'.repeat(150)}` },
        'a symbolic link',
      )
    })

    it('never follows a symlink already in destDir', () => {
      const { root, dest } = tempRoot()
      mkdirSync(join(root, 'outside'))
      writeFileSync(join(root, 'outside/target.txt'), 'untouched')
      mkdirSync(dest)
      symlinkSync(join(root, 'outside'), join(dest, 'lib'))
      symlinkSync(join(root, 'outside/target.txt'), join(dest, 'index.js'))
      symlinkSync(join(root, 'outside/dangling.txt'), join(dest, 'dangling.js'))
      const tarball = createTarball([
        { path: 'package/lib/a.js', content: 'a' },
        { path: 'package/index.js', content: 'index' },
        { path: 'package/dangling.js', content: 'd' },
      ])
      extractTarballSync(tarball, dest)
      expect(walk(join(root, 'outside'))).toEqual(['target.txt'])
      expect(readFileSync(join(root, 'outside/target.txt'), 'utf8')).toBe('untouched')
      expect(walk(dest)).toEqual(['dangling.js', 'index.js', 'lib', 'lib/a.js'])
      expect(readFileSync(join(dest, 'index.js'), 'utf8')).toBe('index')
      expectNothingOutside(root, ['outside', 'outside/target.txt'])
    })

    it('keeps every good entry of a tarball full of hostile ones', () => {
      const { root, dest } = tempRoot()
      const warnings: StageWarning[] = []
      const tarball = createTarball([
        { path: 'package/../../a', content: 'x' },
        { path: 'package/ok/1.js', content: '1' },
        { path: '/b', content: 'x' },
        { path: 'package/ln', type: 'symlink', linkTarget: '/' },
        { path: 'package/ok/2.js', content: '2' },
        { path: 'C:\\c', content: 'x' },
      ])
      const { files } = extractTarballSync(tarball, dest, { onWarning: (warning) => warnings.push(warning) })
      expect(files.map((file) => file.path)).toEqual(['ok/1.js', 'ok/2.js'])
      expect(warnings.map((warning) => warning.message)).toEqual([
        'tarball: dropped entry "package/../../a": a ".." segment',
        'tarball: dropped entry "/b": an absolute path',
        'tarball: dropped entry "package/ln": a symbolic link',
        'tarball: dropped entry "C:\\c": a drive letter',
      ])
      expectNothingOutside(root)
    })
  },
)
