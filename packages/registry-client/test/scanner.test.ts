import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
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
 * A scanner script that runs `body` (after the real scanner, unless `body` replaces it) and then
 * leaves a file saying it is up.
 */
async function scannerWrapper(
  name: string,
  lines: string[],
  real = true,
): Promise<{ script: string; ready: string }> {
  const script = join(scratch, `${name}.mjs`)
  const ready = join(scratch, `${name}.ready`)
  await rm(ready, { force: true })
  await writeFile(
    script,
    [
      "import { writeFileSync } from 'node:fs'",
      "import { parentPort } from 'node:worker_threads'",
      ...lines,
      ...(real ? [`await import(${JSON.stringify(pathToFileURL(scannerScript).href)})`] : []),
      `writeFileSync(${JSON.stringify(ready)}, '')`,
    ].join('\n'),
  )
  return { script, ready }
}

/**
 * Loads a small document, which starts the scanner thread, and waits until the thread is up: only
 * then are large documents sent to it (before, the calling thread scans them itself).
 */
async function startScanner(client: RegistryClient, ready: string): Promise<void> {
  await client.getPackument('small')
  for (let waited = 0; !existsSync(ready); waited += 20) {
    if (waited > 60_000) throw new Error('the scanner thread did not start')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  // Its 'online' message left before the file was written; let this thread take it in.
  await new Promise((resolve) => setTimeout(resolve, 50))
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
    registry.clearFaults()
    // Leaves a trace of the documents the thread was sent.
    const seen = join(scratch, 'seen.txt')
    const { script, ready } = await scannerWrapper('recording-scanner', [
      `parentPort.on('message', (request) => writeFileSync(${JSON.stringify(seen)}, request.name + '\\n', { flag: 'a' }))`,
    ])
    // One after the other: a document that arrives while the thread is busy is scanned in place.
    const load = async (client: RegistryClient) => [
      await client.getPackument('small'),
      await client.getPackument('one'),
      await client.getPackument('two'),
    ]
    const scannedCache = join(scratch, 'scanned-cache')
    const hereCache = join(scratch, 'here-cache')
    const scanned = await withClient(
      { scanWorker: true, scannerScript: script, cacheDir: scannedCache },
      async (client) => {
        await startScanner(client, ready)
        return load(client)
      },
    )
    const here = await withClient({ scanWorker: false, cacheDir: hereCache }, load)

    expect((await readFile(seen, 'utf8')).split('\n').filter(Boolean)).toEqual(['one', 'two'])
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
    registry.fault('/one', { status: 200, body: `{"name": "one", ${'x'.repeat(1_200_000)}` })
    const seen = join(scratch, 'seen-bad.txt')
    const { script, ready } = await scannerWrapper('recording-scanner-2', [
      `parentPort.on('message', (request) => writeFileSync(${JSON.stringify(seen)}, request.name))`,
    ])
    const failure = await withClient({ scanWorker: true, scannerScript: script }, async (client) => {
      await startScanner(client, ready)
      return client.getPackument('one').catch((error: unknown) => error)
    })
    // The thread gave the bytes back, and this thread's parse said what is wrong with them.
    expect(await readFile(seen, 'utf8')).toBe('one')
    expect(failure).toMatchObject({ code: 'EBADJSON', details: { packageName: 'one' } })
  })

  it('fails the loads it was scanning, instead of hanging, when its thread dies', async () => {
    registry.clearFaults()
    const { script, ready } = await scannerWrapper(
      'dying-scanner',
      ["parentPort.on('message', () => process.exit(3))"],
      false,
    )
    const failure = await withClient({ scanWorker: true, scannerScript: script }, async (client) => {
      await startScanner(client, ready)
      return client.getPackument('one').catch((error: unknown) => error)
    })
    expect(failure).toMatchObject({ code: 'EWORKER' })
  })
})
