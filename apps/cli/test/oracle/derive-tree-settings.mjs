// Re-derives npm-tree-settings.json: for each case of tree-settings-cases.json, against
// @tote/test-registry, a fresh project (package.json, its folders, .npmrc, and for a `v1` case the
// lockfile npm 6 writes, `npm@6 install --package-lock-only`, made once and recorded) is
// given each command to npm 11 (the npm on PATH), one fresh copy per command; recorded: the exit
// code, the package-lock.json npm left (registry URL replaced by `{registry}`), and what
// node_modules holds (`path name@version`, a link `path -> target`).
// A case's `files` are written into the project too (path -> text); with `seed: "self"` its `ci`
// commands start from the lockfile its first command left, with `seed: "<case name>"` every command
// starts from the lockfile that case's first command left (the one derived before it); `listFiles`
// records the files under those installed folders (null for a link or nothing).
// Run (after `npm run setup`): node test/oracle/derive-tree-settings.mjs [--check] [--only <text>],
// then `npx biome check --write test/oracle` to lay the file out as the repository's JSON.
// --check re-runs npm 11 on the recorded v1 lockfiles and compares (exit 1 on a difference).
// --only derives the cases whose name holds <text> and keeps the others' recorded results.
import { execFile, spawnSync } from 'node:child_process'
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { createTestRegistry } from '@tote/test-registry'

const casesPath = new URL('./tree-settings-cases.json', import.meta.url)
const recordedPath = new URL('./npm-tree-settings.json', import.meta.url)
const { cases } = JSON.parse(readFileSync(casesPath, 'utf8'))
const check = process.argv.includes('--check')
const onlyAt = process.argv.indexOf('--only')
const only = onlyAt === -1 ? undefined : process.argv[onlyAt + 1]
const previous = existsSync(recordedPath) ? JSON.parse(readFileSync(recordedPath, 'utf8')) : undefined
const npmVersion = spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim()
const FLAGS = ['--ignore-scripts', '--no-audit', '--no-fund', '--no-update-notifier']
const DAY = 86_400_000

/** The case's packages for the registry: `daysAgo` becomes a publish time. */
function registryPackages(packages, now) {
  const result = {}
  for (const [name, spec] of Object.entries(packages ?? {})) {
    const versions = {}
    for (const [version, fields] of Object.entries(spec.versions)) {
      const { daysAgo, ...rest } = fields
      versions[version] = daysAgo === undefined ? rest : { ...rest, time: now - daysAgo * DAY }
    }
    result[name] = { ...spec, versions }
  }
  return result
}

function run(file, args, cwd, home, cache, registry) {
  return new Promise((resolve) => {
    const env = { PATH: process.env.PATH, HOME: home, npm_config_registry: registry, npm_config_cache: cache }
    execFile(file, args, { cwd, env, timeout: 300_000 }, (error, stdout, stderr) => {
      const code = error?.code
      resolve({ status: error ? (typeof code === 'number' ? code : 1) : 0, stdout, stderr })
    })
  })
}

function writeProject(dir, c) {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(c.packageJson, null, 2)}\n`)
  for (const [folder, manifest] of Object.entries(c.folders ?? {})) {
    mkdirSync(join(dir, folder), { recursive: true })
    writeFileSync(join(dir, folder, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  }
  for (const [path, text] of Object.entries(c.files ?? {})) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  writeFileSync(join(dir, '.npmrc'), c.npmrc ?? '')
}

/** The files under each installed folder of `folders` (sorted, node_modules left out); null for a link or nothing. */
function filesOf(dir, folders) {
  const result = {}
  for (const folder of folders ?? []) {
    const root = join(dir, folder)
    if (!existsSync(root) || lstatSync(root).isSymbolicLink()) {
      result[folder] = null
      continue
    }
    const found = []
    const walk = (at, prefix) => {
      for (const name of readdirSync(at).sort()) {
        if (name === 'node_modules') continue
        if (lstatSync(join(at, name)).isDirectory()) walk(join(at, name), `${prefix}${name}/`)
        else found.push(`${prefix}${name}`)
      }
    }
    walk(root, '')
    result[folder] = found.sort()
  }
  return result
}

/** What node_modules holds: `path name@version` per package folder, `path -> target` per link. */
function installed(dir) {
  const found = []
  const seen = new Set()
  const walk = (folder, prefix) => {
    const modules = join(folder, 'node_modules')
    if (!existsSync(modules)) return
    for (const name of readdirSync(modules).sort()) {
      if (name.startsWith('.')) continue
      const names = name.startsWith('@')
        ? readdirSync(join(modules, name))
            .sort()
            .map((n) => `${name}/${n}`)
        : [name]
      for (const full of names) {
        const path = join(modules, full)
        const key = `${prefix}node_modules/${full}`
        if (lstatSync(path).isSymbolicLink()) {
          const target = readlinkSync(path)
          found.push(`${key} -> ${target}`)
          // a folder of the project's: what is installed in it
          const inside = relative(dir, resolve(dirname(path), target))
            .split(sep)
            .join('/')
          if (!inside.startsWith('..') && !seen.has(inside)) {
            seen.add(inside)
            walk(join(dir, inside), `${inside}/`)
          }
          continue
        }
        const pkg = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8'))
        found.push(`${key} ${pkg.name}@${pkg.version}`)
        walk(path, `${key}/`)
      }
    }
  }
  walk(dir, '')
  return found.sort()
}

let npm6Cli
/** npm 6's CLI, installed once from the machine's configured registry into `base`. */
function npm6(base) {
  if (npm6Cli) return npm6Cli
  const prefix = join(base, 'npm6')
  const made = spawnSync('npm', ['install', '--prefix', prefix, 'npm@6', '--no-audit', '--no-fund'], {
    encoding: 'utf8',
  })
  if (made.status !== 0) throw new Error(`could not install npm 6:\n${made.stderr}`)
  npm6Cli = join(prefix, 'node_modules', 'npm', 'bin', 'npm-cli.js')
  return npm6Cli
}

async function derive() {
  const results = {}
  const base = mkdtempSync(join(tmpdir(), 'tote-tree-settings-oracle-'))
  try {
    for (const c of cases) {
      if (only !== undefined && !c.name.includes(only)) {
        results[c.name] = previous.results[c.name]
        continue
      }
      const now = Date.now()
      const registry = await createTestRegistry({ packages: registryPackages(c.packages, now) })
      const unregistry = (text) => text?.split(registry.url).join('{registry}') ?? null
      const reregistry = (text) => text?.split('{registry}').join(registry.url) ?? null
      try {
        const home = join(base, 'home')
        mkdirSync(home, { recursive: true })
        const cache = join(base, `cache-${Object.keys(results).length}`)
        let v1 = null
        if (c.v1) {
          v1 = previous?.results?.[c.name]?.v1 ?? null
          if (v1 === null || !check) {
            const dir = join(base, `v1-${Object.keys(results).length}`)
            writeProject(dir, c)
            const made = await run(
              process.execPath,
              [npm6(base), 'install', '--package-lock-only', ...FLAGS],
              dir,
              home,
              cache,
              registry.url,
            )
            if (made.status !== 0) throw new Error(`npm 6 failed on ${c.name}:\n${made.stderr}`)
            v1 = unregistry(readFileSync(join(dir, 'package-lock.json'), 'utf8'))
          }
        }
        if (c.later) registry.addPackages(registryPackages(c.later, now))
        const commands = []
        for (const [index, args] of c.commands.entries()) {
          const dir = join(base, `${Object.keys(results).length}-${index}`)
          writeProject(dir, c)
          if (v1 !== null) writeFileSync(join(dir, 'package-lock.json'), reregistry(v1))
          const seed =
            c.seed === 'self'
              ? args[0] === 'ci'
                ? commands[0]?.lockfile
                : null
              : c.seed !== undefined
                ? results[c.seed].commands[0].lockfile
                : null
          if (seed) writeFileSync(join(dir, 'package-lock.json'), reregistry(seed))
          const result = await run('npm', [...args, ...FLAGS], dir, home, cache, registry.url)
          if (result.status !== 0) process.stderr.write(`${c.name} ${args.join(' ')}:\n${result.stderr}\n`)
          const lock = join(dir, 'package-lock.json')
          commands.push({
            args,
            exit: result.status,
            lockfile: unregistry(existsSync(lock) ? readFileSync(lock, 'utf8') : null),
            installed: installed(dir),
            ...(c.listFiles ? { files: filesOf(dir, c.listFiles) } : {}),
          })
        }
        results[c.name] = { ...(v1 === null ? {} : { v1 }), commands }
      } finally {
        await registry.close()
      }
    }
  } finally {
    rmSync(base, { recursive: true, force: true })
  }
  return results
}

const results = await derive()
const data = { npm: npmVersion, flags: FLAGS, results }
if (check) {
  // the file is laid out by biome (`npx biome check --write`): compared as data
  if (JSON.stringify({ ...previous, npm: npmVersion }) !== JSON.stringify(data)) {
    process.stderr.write('npm-tree-settings.json differs from what npm does now\n')
    process.exit(1)
  }
} else writeFileSync(recordedPath, `${JSON.stringify(data, null, 2)}\n`)
