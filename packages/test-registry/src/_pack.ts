import { createHash } from 'node:crypto'
import { createTarball } from './_tar.js'
import type { FileSpec, TarEntrySpec, VersionSpec } from './types.js'

/** A tarball as served, with the hashes and counts its packument `dist` advertises. */
export interface BuiltTarball {
  bytes: Buffer
  integrity: string
  shasum: string
  fileCount?: number
  unpackedSize?: number
}

export function sha512Integrity(bytes: Uint8Array): string {
  return 'sha512-' + createHash('sha512').update(bytes).digest('base64')
}

export function sha1Hex(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex')
}

/** `./bin/x.js` and `bin/x.js` name the same file. */
function normalizePath(path: string): string {
  return path.replace(/^(\.\/)+/, '')
}

/** The object form of `bin`: a string names one command, called like the package without its scope. */
export function binMap(name: string, bin: VersionSpec['bin']): Record<string, string> | undefined {
  if (bin === undefined) return undefined
  if (typeof bin === 'string') return { [name.replace(/^@[^/]+\//, '')]: bin }
  return bin
}

/** The package.json written into the tarball when the spec does not give one. */
export function generatedPackageJson(name: string, version: string, spec: VersionSpec): string {
  const manifest: Record<string, unknown> = { name, version }
  const fields = [
    'license',
    'bin',
    'scripts',
    'dependencies',
    'devDependencies',
    'optionalDependencies',
    'peerDependencies',
    'peerDependenciesMeta',
    'bundleDependencies',
    'engines',
    'os',
    'cpu',
    'libc',
  ] as const
  for (const field of fields) if (spec[field] !== undefined) manifest[field] = spec[field]
  return JSON.stringify(manifest, null, 2) + '\n'
}

function fileContent(file: FileSpec): { content: Buffer; mode?: number } {
  const raw = typeof file === 'string' || file instanceof Uint8Array ? file : file.content
  const content =
    typeof raw === 'string' ? Buffer.from(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.length)
  const mode = typeof file === 'string' || file instanceof Uint8Array ? undefined : file.mode
  return mode === undefined ? { content } : { content, mode }
}

function withHashes(bytes: Buffer, counts: { fileCount: number; unpackedSize: number } | undefined) {
  return { bytes, integrity: sha512Integrity(bytes), shasum: sha1Hex(bytes), ...counts }
}

/** Builds the gzip tarball of one version, like npm pack: every entry under `package/`, files only. */
export function packVersion(name: string, version: string, spec: VersionSpec): BuiltTarball {
  if (spec.tarball) {
    return withHashes(
      Buffer.from(spec.tarball.buffer, spec.tarball.byteOffset, spec.tarball.length),
      undefined,
    )
  }
  const files = new Map<string, { content: Buffer; mode?: number }>()
  const given = spec.files ?? { 'index.js': `module.exports = ${JSON.stringify({ name, version })}\n` }
  for (const [path, file] of Object.entries(given)) files.set(normalizePath(path), fileContent(file))
  if (!files.has('package.json')) {
    files.set('package.json', { content: Buffer.from(generatedPackageJson(name, version, spec)) })
  }
  const binTargets = new Set(Object.values(binMap(name, spec.bin) ?? {}).map(normalizePath))
  for (const target of binTargets) {
    if (files.has(target)) continue
    const script = `#!/usr/bin/env node\nprocess.stdout.write(${JSON.stringify(`${name}@${version} ${target}\n`)})\n`
    files.set(target, { content: Buffer.from(script) })
  }
  const paths = [...files.keys()].sort((a, b) =>
    a === 'package.json' ? -1 : b === 'package.json' ? 1 : a < b ? -1 : a > b ? 1 : 0,
  )
  let unpackedSize = 0
  const entries: TarEntrySpec[] = paths.map((path) => {
    const file = files.get(path)!
    unpackedSize += file.content.length
    return {
      path: `package/${path}`,
      content: file.content,
      mode: file.mode ?? (binTargets.has(path) ? 0o755 : 0o644),
    }
  })
  const tarball = createTarball(entries)
  return withHashes(Buffer.from(tarball.buffer, tarball.byteOffset, tarball.length), {
    fileCount: entries.length,
    unpackedSize,
  })
}
