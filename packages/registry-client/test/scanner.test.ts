import { execFileSync } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createTestRegistry, type TestRegistry } from '@tote/test-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRegistryClient, type RegistryClient } from '../src/index.js'

// Worker threads cannot load TypeScript on Node 20: build the package and run its compiled scanner.
const packageDir = fileURLToPath(new URL('..', import.meta.url))
const scannerScript = join(packageDir, 'dist', '_scan-worker.js')

let registry: TestRegistry
let scratch: string
beforeAll(async () => {
  execFileSync(
    process.execPath,
    [join(packageDir, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: packageDir,
    },
  )
  scratch = await mkdtemp(join(tmpdir(), 'tote-registry-scanner-'))
  // ~1.3 MB documents: long deprecation messages in many versions.
  const deprecated = 'x'.repeat(4000)
  const big = (major: number) => ({
    versions: Object.fromEntries(
      Array.from({ length: 300 }, (_, i) => [
        `${major}.0.${i}`,
        { deprecated, dependencies: { small: '^1.0.0' }, license: 'MIT' },
      ]),
    ),
  })
  registry = await createTestRegistry({
    packages: { one: big(1), two: big(2), small: { versions: { '1.0.0': {} } } },
  })
}, 120_000)
afterAll(async () => {
  await registry?.close()
  await rm(scratch, { recursive: true, force: true })
})

/**
 * Large documents answered late, so that the scanner thread (started with the first load) is up,
 * and one after the other (a document that arrives while the thread is busy is scanned in place).
 */
function delayLargeDocuments(): void {
  registry.clearFaults()
  registry.fault('/one', { delayMs: 400 })
  registry.fault('/two', { delayMs: 900 })
}

async function withClient<T>(
  options: Partial<Parameters<typeof createRegistryClient>[0]>,
  use: (client: RegistryClient) => Promise<T>,
): Promise<T> {
  const client = createRegistryClient({ registry: registry.url, retries: 0, ...options })
  try {
    return await use(client)
  } finally {
    await client.close()
  }
}

async function files(dir: string): Promise<Record<string, string>> {
  const names = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((entry) =>
    entry.isFile(),
  )
  const contents: Record<string, string> = {}
  for (const entry of names) {
    const path = join(entry.parentPath, entry.name)
    // The time of the fetch differs, of course.
    contents[path.slice(dir.length)] = (await readFile(path, 'latin1')).replace(/"fetchedAt":\d+/, '')
  }
  return contents
}

describe('scanner thread', () => {
  it('scans large documents on its own thread, with the same packuments and cache files as this one', async () => {
    delayLargeDocuments()
    // Wraps the real scanner to leave a trace of the documents it was sent.
    const recorder = join(scratch, 'recording-scanner.mjs')
    const seen = join(scratch, 'seen.txt')
    await writeFile(
      recorder,
      [
        "import { appendFileSync } from 'node:fs'",
        "import { parentPort } from 'node:worker_threads'",
        `parentPort.on('message', (request) => appendFileSync(${JSON.stringify(seen)}, request.name + '\\n'))`,
        `await import(${JSON.stringify(pathToFileURL(scannerScript).href)})`,
      ].join('\n'),
    )
    const names = ['small', 'one', 'two']
    const load = (client: RegistryClient) => Promise.all(names.map((name) => client.getPackument(name)))
    const scannedCache = join(scratch, 'scanned-cache')
    const hereCache = join(scratch, 'here-cache')
    const scanned = await withClient(
      { scanWorker: true, scannerScript: recorder, cacheDir: scannedCache },
      load,
    )
    const here = await withClient({ scanWorker: false, cacheDir: hereCache }, load)

    expect((await readFile(seen, 'utf8')).split('\n').filter(Boolean).sort()).toEqual(['one', 'two'])
    for (const [index, packument] of scanned.entries()) {
      const other = here[index]!
      expect(packument['dist-tags']).toEqual(other['dist-tags'])
      expect(Object.keys(packument.versions)).toEqual(Object.keys(other.versions))
    }
    expect(scanned[1]!.versions['1.0.42']).toEqual(here[1]!.versions['1.0.42'])
    expect(scanned[2]!.versions['2.0.299']).toMatchObject({
      dependencies: { small: '^1.0.0' },
      deprecated: 'x'.repeat(4000),
    })
    expect(await files(scannedCache)).toEqual(await files(hereCache))
  })

  it('reports a large body that is not JSON as EBADJSON, naming the package', async () => {
    registry.clearFaults()
    registry.fault('/one', { delayMs: 400, status: 200, body: `{"name": "one", ${'x'.repeat(1_200_000)}` })
    const failure = await withClient({ scanWorker: true, scannerScript }, async (client) => {
      await client.getPackument('small')
      return client.getPackument('one').catch((error: unknown) => error)
    })
    expect(failure).toMatchObject({ code: 'EBADJSON', details: { packageName: 'one' } })
  })

  it('fails the loads it was scanning, instead of hanging, when its thread dies', async () => {
    delayLargeDocuments()
    const dying = join(scratch, 'dying-scanner.mjs')
    await writeFile(
      dying,
      "import { parentPort } from 'node:worker_threads'\nparentPort.on('message', () => process.exit(3))\n",
    )
    const failure = await withClient({ scanWorker: true, scannerScript: dying }, async (client) => {
      await client.getPackument('small')
      return client.getPackument('one').catch((error: unknown) => error)
    })
    expect(failure).toMatchObject({ code: 'EWORKER' })
  })
})
