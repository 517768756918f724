import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  parseLockfile,
  readProjectManifest,
  readWorkspaces,
  sha512Integrity,
  stringifyLockfile,
  tarballPackageJsons,
} from '@tote/lockfile'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { type Packument, ToteError } from '@tote/types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createResolver, type ResolverEvent } from '../src/index.js'
import { CASES, PACKAGES, PROJECT_FOLDER, writeFiles } from './_local-cases.js'

// npm is the oracle: npm-local-cases.json holds the lockfile npm 11.19.1 wrote after each step of
// each case of _local-cases.ts (`npm install --package-lock-only --ignore-scripts --no-audit
// --no-fund` against @tote/test-registry, from the lockfile of the step before; re-derive it with
// `node --import tsx test/derive-local-cases.ts`). tote, given the same project folder (workspaces
// found by @tote/lockfile's readWorkspaces) and the same lockfile, must write the same bytes.

const recorded = JSON.parse(readFileSync(new URL('./npm-local-cases.json', import.meta.url), 'utf8')) as {
  npm: string
  results: Record<string, string[]>
}

let registry: TestRegistry

beforeAll(async () => {
  registry = await createTestRegistry({ packages: PACKAGES })
})

afterAll(async () => {
  await registry.close()
})

async function getPackument(name: string): Promise<Packument> {
  const response = await fetch(registry.url + name.replace('/', '%2f'))
  if (response.status === 404) throw new ToteError('E404', `${name} is not in the registry`)
  if (!response.ok) throw new Error(`GET ${name}: ${response.status}`)
  return (await response.json()) as Packument
}

/** Tarballs read by resolveFolder, by `resolved`. */
const tarballsRead: string[] = []

/** The resolver as tote install uses it on a project folder: workspaces and folders read from disk. */
async function resolveFolder(dir: string, lockfileText?: string, onEvent?: (event: ResolverEvent) => void) {
  const project = await readProjectManifest(dir)
  const workspaces = await readWorkspaces(dir, project.manifest)
  const resolver = createResolver(
    {
      getPackument,
      readPackage: async (path) => (await readProjectManifest(join(dir, path))).manifest,
      // the bytes from disk or from the registry, as tote install reads them
      async readTarball(source) {
        tarballsRead.push(source.type === 'file' ? `file:${source.path}` : source.url)
        const bytes =
          source.type === 'file'
            ? readFileSync(join(dir, source.path))
            : new Uint8Array(await (await fetch(source.url)).arrayBuffer())
        const found = tarballPackageJsons(bytes, 'tarball')
        const bundled = Object.fromEntries(
          [...found]
            .filter(([path]) => path !== 'package.json')
            .map(([path, json]) => [path.slice(0, -'/package.json'.length), json]),
        )
        return { manifest: found.get('package.json')!, integrity: sha512Integrity(bytes), bundled }
      },
    },
    onEvent ? { onEvent } : {},
  )
  const lockfile = lockfileText === undefined ? undefined : parseLockfile(lockfileText)
  const result = await resolver.resolve(project.manifest, { lockfile, workspaces, projectDir: dir })
  return { ...result, text: stringifyLockfile(result.lockfile, project.format) }
}

describe('workspaces and file: folders, against npm', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.about}`, async () => {
      const base = mkdtempSync(join(tmpdir(), 'tote-local-'))
      const npmLockfiles = recorded.results[c.name]!.map((text) =>
        text.split('{registry}').join(registry.url),
      )
      expect(npmLockfiles).toHaveLength(c.steps.length)
      for (const [i, step] of c.steps.entries()) {
        writeFiles(base, step, registry.url)
        const { text } = await resolveFolder(join(base, PROJECT_FOLDER), npmLockfiles[i - 1])
        expect(text, `step ${i}`).toBe(npmLockfiles[i])
      }
    })
  }
})

/** A project folder of files (path → package.json object), written to a fresh temporary folder. */
function folderOf(files: Record<string, Record<string, unknown>>): string {
  const base = mkdtempSync(join(tmpdir(), 'tote-local-'))
  writeFiles(base, files)
  return join(base, PROJECT_FOLDER)
}

describe('bundled dependencies', () => {
  it('are read from their bundler’s tarball once; nothing of the bundle is picked from the registry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tote-local-'))
    writeFiles(dir, CASES.find((c) => c.name === 'bundled')!.steps[0]!, registry.url)
    const picked: string[] = []
    tarballsRead.length = 0
    const { text } = await resolveFolder(join(dir, PROJECT_FOLDER), undefined, (event) => {
      if (event.type === 'version-picked') picked.push(`${event.name}@${event.version}`)
    })
    expect(text).toBe(recorded.results.bundled![0]!.split('{registry}').join(registry.url))
    expect(picked.sort()).toEqual(['bundler@1.0.0', 'inner@2.0.0', 'shared@1.0.0'])
    expect(tarballsRead).toEqual([`${registry.url}bundler/-/bundler-1.0.0.tgz`])
  })

  it('npm’s lockfile with inBundle entries is up to date: no tarball read, no packument fetched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tote-local-'))
    writeFiles(dir, CASES.find((c) => c.name === 'bundled')!.steps[0]!, registry.url)
    const npm = recorded.results.bundled![0]!.split('{registry}').join(registry.url)
    tarballsRead.length = 0
    const again = await resolveFolder(join(dir, PROJECT_FOLDER), npm)
    expect(again.text).toBe(npm)
    expect(again.stats.packuments).toBe(0)
    expect(tarballsRead).toEqual([])
  })
})

describe('tarballs', () => {
  it('npm’s lockfile with a file: tarball and a tarball URL is up to date: nothing read or fetched again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tote-local-'))
    writeFiles(dir, CASES.find((c) => c.name === 'tarballs')!.steps[0]!, registry.url)
    const npm = recorded.results.tarballs![0]!.split('{registry}').join(registry.url)
    tarballsRead.length = 0
    const again = await resolveFolder(join(dir, PROJECT_FOLDER), npm)
    expect(again.text).toBe(npm)
    expect(again.stats.packuments).toBe(0)
    expect(tarballsRead).toEqual([])
  })

  it('a tarball URL that changed is read again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tote-local-'))
    writeFiles(dir, CASES.find((c) => c.name === 'tarballs')!.steps[0]!, registry.url)
    const npm = recorded.results.tarballs![0]!.split('{registry}').join(registry.url)
    writeFiles(
      dir,
      {
        'project/package.json': {
          name: 'tarballs',
          dependencies: { tb: 'file:vendor/tb-1.0.0.tgz', rem: '{registry}shared/-/shared-2.0.0.tgz' },
        },
      },
      registry.url,
    )
    tarballsRead.length = 0
    const { lockfile } = await resolveFolder(join(dir, PROJECT_FOLDER), npm)
    expect(tarballsRead).toEqual([`${registry.url}shared/-/shared-2.0.0.tgz`])
    expect(lockfile.packages['node_modules/rem']).toMatchObject({ name: 'shared', version: '2.0.0' })
  })

  it('a file: tarball that is not there fails naming the dependency, the spec and the file', async () => {
    const dir = folderOf({ 'project/package.json': { name: 'm', dependencies: { x: 'file:missing.tgz' } } })
    const error = await resolveFolder(dir).catch((e: unknown) => e)
    expect(error).toMatchObject({ details: { name: 'x', spec: 'file:missing.tgz' } })
    expect((error as Error).message).toContain('x@file:missing.tgz, wanted by root')
    expect((error as Error).message).toContain('missing.tgz')
  })
})

describe('workspaces', () => {
  it('an up-to-date lockfile with workspaces comes back as it was, nothing fetched', async () => {
    const dir = folderOf({
      'project/package.json': { name: 'm', workspaces: ['packages/*'] },
      'project/packages/a/package.json': { name: 'a', version: '1.0.0', dependencies: { shared: '^1.0.0' } },
    })
    const first = await resolveFolder(dir)
    const again = await resolveFolder(dir, first.text)
    expect(again.text).toBe(first.text)
    expect(again.stats.packuments).toBe(0)
  })

  it('a workspace whose package.json changed makes the lockfile change with it', async () => {
    const dir = folderOf({
      'project/package.json': { name: 'm', workspaces: ['packages/*'] },
      'project/packages/a/package.json': { name: 'a', version: '1.0.0', dependencies: { shared: '^1.0.0' } },
    })
    const first = await resolveFolder(dir)
    writeFiles(join(dir, '..'), {
      'project/packages/a/package.json': { name: 'a', version: '1.1.0', license: 'MIT' },
    })
    const again = await resolveFolder(dir, first.text)
    expect(again.lockfile.packages['packages/a']).toEqual({ version: '1.1.0', license: 'MIT' })
    expect(again.lockfile.packages['node_modules/shared']).toBeUndefined()
    expect(again.stats.packuments).toBe(0)
  })

  it('workspace: specs link the workspace of that name, whatever the registry has', async () => {
    const dir = folderOf({
      'project/package.json': {
        name: 'm',
        workspaces: ['packages/*'],
        dependencies: { lib: 'workspace:*' },
      },
      'project/packages/lib/package.json': { name: 'lib', version: '1.2.0' },
      'project/packages/b/package.json': {
        name: 'b',
        version: '1.0.0',
        dependencies: { lib: 'workspace:^' },
      },
      'project/packages/c/package.json': {
        name: 'c',
        version: '1.0.0',
        dependencies: { lib: 'workspace:~1.2.0', b: 'workspace:^1.0.0' },
      },
    })
    const { lockfile, stats } = await resolveFolder(dir)
    expect(Object.keys(lockfile.packages)).toEqual([
      '',
      'node_modules/b',
      'node_modules/c',
      'node_modules/lib',
      'packages/b',
      'packages/c',
      'packages/lib',
    ])
    expect(lockfile.packages['node_modules/lib']).toEqual({ resolved: 'packages/lib', link: true })
    expect(lockfile.packages['packages/c']?.dependencies).toEqual({
      lib: 'workspace:~1.2.0',
      b: 'workspace:^1.0.0',
    })
    expect(stats.packuments).toBe(0)
  })

  it('a workspace: range the workspace misses is ETARGET naming the dependency, the spec and the version', async () => {
    const dir = folderOf({
      'project/package.json': { name: 'm', workspaces: ['packages/*'] },
      'project/packages/lib/package.json': { name: 'lib', version: '1.2.0' },
      'project/packages/b/package.json': {
        name: 'b',
        version: '1.0.0',
        dependencies: { lib: 'workspace:^2.0.0' },
      },
    })
    const error = await resolveFolder(dir).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ToteError)
    expect(error).toMatchObject({ code: 'ETARGET', details: { name: 'lib', spec: 'workspace:^2.0.0' } })
    expect((error as Error).message).toContain('lib@workspace:^2.0.0, wanted by root → b@1.0.0')
    expect((error as Error).message).toContain('is version 1.2.0, not in ^2.0.0')
  })

  it('a workspace: spec naming no workspace is ENOWORKSPACE, listing the workspaces', async () => {
    const dir = folderOf({
      'project/package.json': { name: 'm', workspaces: ['packages/*'] },
      'project/packages/b/package.json': {
        name: 'b',
        version: '1.0.0',
        dependencies: { nope: 'workspace:*' },
      },
    })
    const error = await resolveFolder(dir).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ENOWORKSPACE', details: { name: 'nope', spec: 'workspace:*' } })
    expect((error as ToteError).hint).toContain('Its workspaces are: b.')
  })

  it('link: folders are linked like file: folders', async () => {
    const dir = folderOf({
      'project/package.json': { name: 'm', dependencies: { x: 'link:vendor/x' } },
      'project/vendor/x/package.json': { name: 'x', version: '0.1.0' },
    })
    const { lockfile } = await resolveFolder(dir)
    expect(lockfile.packages['node_modules/x']).toEqual({ resolved: 'vendor/x', link: true })
    expect(lockfile.packages['vendor/x']).toEqual({ version: '0.1.0' })
  })

  it('a file: folder without package.json fails naming the dependency, the spec and the file', async () => {
    const dir = folderOf({ 'project/package.json': { name: 'm', dependencies: { x: 'file:missing' } } })
    const error = await resolveFolder(dir).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ENOPACKAGEJSON', details: { name: 'x', spec: 'file:missing' } })
    expect((error as Error).message).toContain('x@file:missing, wanted by root')
  })
})
