import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { ProjectManifest } from '@tote/types'
import { ToteError } from '@tote/types'
import { folderPackList } from './_git.js'

// npm's install-links: a `file:` folder is installed as `npm pack` would pack it. The files are
// npm-packlist's choice (packList, shared with git dependencies: `files`, else the folder's
// .npmignore or .gitignore; node_modules never), written as a ustar archive under `package/`, every
// entry dated as npm dates them (1985-10-26 08:15 UTC), then gzipped. Nothing is written to disk.

/** npm pack's fixed mtime for every entry (seconds since the epoch). */
const NPM_MTIME = 499_162_500

/** The folder at `dir` packed as npm packs it: a .tgz's bytes. `label` names it in errors. */
export async function packFolder(dir: string, label: string): Promise<Uint8Array> {
  let text: string
  try {
    text = await readFile(join(dir, 'package.json'), 'utf8')
  } catch (error) {
    throw new ToteError('ENOLOCAL', `install-links: the folder ${label} has no package.json to pack`, {
      hint: 'Point the file: dependency at a folder that holds a package.json, or run `tote install` again.',
      cause: error,
      details: { path: label },
    })
  }
  let manifest: ProjectManifest
  try {
    manifest = JSON.parse(text) as ProjectManifest
  } catch (error) {
    throw new ToteError('EPACKAGEJSON', `install-links: the package.json of ${label} is not valid JSON`, {
      hint: 'Fix that package.json.',
      cause: error,
      details: { path: label },
    })
  }
  const chunks: Buffer[] = []
  for (const path of await folderPackList(dir, manifest)) {
    const file = join(dir, path)
    const [data, info] = await Promise.all([readFile(file), stat(file)])
    chunks.push(...entry(`package/${path}`, data, info.mode & 0o111 ? 0o755 : 0o644))
  }
  chunks.push(Buffer.alloc(1024))
  return gzipSync(Buffer.concat(chunks))
}

/** One file of a ustar archive: its header (a pax header before it for a long path), data and padding. */
function entry(path: string, data: Buffer, mode: number): Buffer[] {
  const parts: Buffer[] = []
  let name = path
  let prefix = ''
  if (Buffer.byteLength(path) > 100) {
    const cut = splitPath(path)
    if (cut) [prefix, name] = cut
    else {
      const record = paxRecord('path', path)
      parts.push(header('././@PaxHeader', '', record.length, 0o644, 'x'), ...padded(record))
      name = Buffer.from(path).subarray(0, 100).toString('latin1')
    }
  }
  parts.push(header(name, prefix, data.length, mode, '0'), ...padded(data))
  return parts
}

/** ustar's split of a long path: a prefix of at most 155 bytes and a name of at most 100, at a `/`. */
function splitPath(path: string): [string, string] | undefined {
  for (let at = path.indexOf('/'); at !== -1; at = path.indexOf('/', at + 1)) {
    const prefix = path.slice(0, at)
    const name = path.slice(at + 1)
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return [prefix, name]
  }
  return undefined
}

/** A pax extended-header record, `<length> <key>=<value>\n`, the length counting itself. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`
  let length = Buffer.byteLength(body)
  while (String(length).length + Buffer.byteLength(body) !== length)
    length = String(length).length + Buffer.byteLength(body)
  return Buffer.from(`${length}${body}`)
}

function header(name: string, prefix: string, size: number, mode: number, type: string): Buffer {
  const block = Buffer.alloc(512)
  block.write(name, 0, 100, 'utf8')
  octal(block, 100, 8, mode)
  octal(block, 108, 8, 0)
  octal(block, 116, 8, 0)
  octal(block, 124, 12, size)
  octal(block, 136, 12, NPM_MTIME)
  block.fill(' ', 148, 156)
  block.write(type, 156, 1, 'latin1')
  block.write('ustar\u000000', 257, 8, 'latin1')
  block.write(prefix, 345, 155, 'utf8')
  let sum = 0
  for (const byte of block) sum += byte
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'latin1')
  return block
}

function octal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, length, 'latin1')
}

function padded(data: Buffer): Buffer[] {
  const rest = data.length % 512
  return rest === 0 ? [data] : [data, Buffer.alloc(512 - rest)]
}
