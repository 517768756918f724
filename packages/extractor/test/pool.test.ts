import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTarball } from '@tote/test-registry'
import { isToteError, type StageWarning } from '@tote/types'
import { afterAll, describe, expect, it } from 'vitest'
import { createExtractor, extractorWorkerFile, extractTarballSync } from '../src/index.js'
import { expectNothingOutside, tempRoot, walk } from './_helpers.js'

function packageTarball(name: string): Uint8Array {
  return createTarball([
    { path: 'package/package.json', content: JSON.stringify({ name }) },
    { path: 'package/bin/cli.js', content: '#!/usr/bin/env node\n', mode: 0o755 },
    { path: 'package/link', type: 'symlink', linkTarget: '/etc' },
    { path: `package/${'p'.repeat(120)}.js`, content: 'x'.repeat(100_000) },
  ])
}

describe('createExtractor with worker threads', () => {
  const extractor = createExtractor({ workers: 2 })
  afterAll(() => extractor.close())

  it('extracts like extractTarballSync, and transfers the tarball instead of copying it', async () => {
    const { root, dest } = tempRoot()
    const tarball = packageTarball('pooled')
    const expected = extractTarballSync(tarball.slice(), join(root, 'sync'))
    const onWarning: StageWarning[] = []
    const result = await extractor.extract(tarball, dest, {
      packageId: 'pooled@1.0.0',
      onWarning: (warning) => onWarning.push(warning),
    })
    expect(result.files).toEqual(expected.files)
    expect(walk(dest)).toEqual(walk(join(root, 'sync')))
    expect(readFileSync(join(dest, 'package.json'), 'utf8')).toBe('{"name":"pooled"}')
    expect(result.warnings).toEqual([
      {
        code: 'ETARBADENTRY',
        message: 'pooled@1.0.0: dropped entry "package/link": a symbolic link',
        package: 'pooled@1.0.0',
      },
    ])
    expect(onWarning).toEqual(result.warnings)
    expect(tarball.byteLength).toBe(0) // detached: its ArrayBuffer moved to the worker
    expectNothingOutside(
      root,
      walk(root).filter((path) => path === 'sync' || path.startsWith('sync/')),
    )
  })

  it('passes hashFiles to the worker', async () => {
    const { root, dest } = tempRoot()
    const tarball = packageTarball('hashed')
    const expected = extractTarballSync(tarball.slice(), join(root, 'sync'), { hashFiles: true })
    expect(expected.files.every((file) => typeof file.sha256 === 'string')).toBe(true)
    const result = await extractor.extract(tarball, dest, { hashFiles: true })
    expect(result.files).toEqual(expected.files)
  })

  it('copies a view into a larger buffer rather than detach the buffer under it', async () => {
    const { dest } = tempRoot()
    const tarball = packageTarball('view')
    const backing = new Uint8Array(tarball.length + 100)
    backing.set(tarball, 50)
    const view = backing.subarray(50, 50 + tarball.length)
    const { files } = await extractor.extract(view, dest)
    expect(files).toHaveLength(3)
    expect(backing.byteLength).toBe(tarball.length + 100)
    expect(Buffer.compare(view, tarball)).toBe(0)
  })

  it("copies a small Buffer from Node's shared pool rather than detach the pool", async () => {
    const { dest } = tempRoot()
    const small = createTarball([{ path: 'package/a.js', content: 'a' }])
    const neighbour = Buffer.from('a neighbour in the same pool')
    const pooled = Buffer.from(small)
    expect(pooled.buffer).toBe(neighbour.buffer) // both live in Node's 8 KiB allocation pool
    const { files } = await extractor.extract(pooled, dest)
    expect(files).toEqual([{ path: 'a.js', mode: 0o644, size: 1 }])
    expect(neighbour.toString()).toBe('a neighbour in the same pool')
    expect(pooled.byteLength).toBe(small.length)
  })

  it('rejects with a ToteError carrying code, hint and details from the worker', async () => {
    const { dest } = tempRoot()
    const tarball = packageTarball('broken')
    const error = await extractor
      .extract(tarball.subarray(0, tarball.length - 30), dest, { packageId: 'broken@1.0.0' })
      .catch((thrown: unknown) => thrown)
    expect(isToteError(error)).toBe(true)
    expect(error).toMatchObject({
      code: 'ETARBALL',
      hint: 'The download was damaged; it will be fetched again.',
      details: { package: 'broken@1.0.0' },
    })
  })

  it('runs many extractions at once', async () => {
    const { dest } = tempRoot()
    const names = Array.from({ length: 24 }, (_, i) => `pkg-${i}`)
    const results = await Promise.all(
      names.map((name) => extractor.extract(packageTarball(name), join(dest, name))),
    )
    expect(results.map((result) => result.files.length)).toEqual(names.map(() => 3))
    for (const name of names) {
      expect(readFileSync(join(dest, name, 'package.json'), 'utf8')).toBe(JSON.stringify({ name }))
    }
  })
})

describe('createExtractor on the calling thread', () => {
  it('extracts with workers: false and reports warnings both ways', async () => {
    const { dest } = tempRoot()
    const extractor = createExtractor({ workers: false })
    const onWarning: StageWarning[] = []
    const tarball = packageTarball('main')
    const result = await extractor.extract(tarball, dest, { onWarning: (warning) => onWarning.push(warning) })
    await extractor.close()
    expect(result.files.map((file) => file.path)).toEqual([
      'package.json',
      'bin/cli.js',
      `${'p'.repeat(120)}.js`,
    ])
    expect(result.warnings).toHaveLength(1)
    expect(onWarning).toEqual(result.warnings)
    expect(tarball.byteLength).toBeGreaterThan(0)
  })

  it("extracts with workers: 'auto'", async () => {
    const { dest } = tempRoot()
    const extractor = createExtractor()
    const { files } = await extractor.extract(packageTarball('auto'), dest)
    await extractor.close()
    expect(files).toHaveLength(3)
  })
})

describe('extractorWorkerFile', () => {
  it('points at the TypeScript shim when running from sources', () => {
    const file = extractorWorkerFile()
    expect(file.protocol).toBe('file:')
    expect(file.pathname.endsWith('/src/_worker-from-source.mjs')).toBe(true)
  })
})
