// What a user of the published packages gets, checked before anything is published:
//
// 1. packs every publishable workspace package with `pnpm pack` (workspace:* becomes a version, and
//    publishConfig.exports replaces the repository's exports), and checks each tarball: built files,
//    README, LICENSE and package.json only; no src/, no `source` condition, no maps, no V8 code cache;
//    every exports/main/types/bin target present; every package a built file imports is a dependency;
//    repository, homepage, bugs and the licence set;
// 2. installs the tarballs with npm into a scratch project in the OS temp folder, outside the
//    repository (their other dependencies come from the registry npm is configured with);
// 3. type-checks an import of every package there with TypeScript, library types included;
// 4. runs every README example (a fenced block right after `<!-- example -->`) as written, from the
//    README inside the tarball: JavaScript with node, shell with bash, in the scratch project;
// 5. runs the packed CLI (`tote install`, `tote ci`) on a small project against a loopback registry
//    served by the packed @tote/test-registry.
//
// Usage: node scripts/pack-check.mjs [--keep]   (--keep leaves the scratch folders for a look)
// Needs the packages built (`npm run setup`). Prints one line per check and ends with
// `pack-check: N passed, N failed`; exits 1 on any failure. Bounded: each command has a time limit,
// and the whole run stops after TOTAL_LIMIT_MS.
import { spawn, spawnSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const keep = process.argv.includes('--keep')
const TOTAL_LIMIT_MS = 15 * 60_000
const COMMAND_LIMIT_MS = 3 * 60_000
const started = Date.now()

const results = { passed: 0, failed: 0 }
const cleanups = []

const overall = setTimeout(() => {
  console.error(`pack-check: stopped after ${TOTAL_LIMIT_MS / 60_000} minutes`)
  finish(1)
}, TOTAL_LIMIT_MS)
overall.unref()

function finish(code) {
  for (const cleanup of cleanups.reverse()) {
    try {
      cleanup()
    } catch {}
  }
  console.log(`pack-check: ${results.passed} passed, ${results.failed} failed`)
  process.exit(code || (results.failed > 0 ? 1 : 0))
}

function seconds(since) {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`
}

/** One named check: passes unless `fn` throws; a failure is printed and counted, and the run goes on. */
async function check(name, fn) {
  const since = Date.now()
  try {
    await fn()
    results.passed++
    console.log(`ok    ${name} (${seconds(since)})`)
    return true
  } catch (error) {
    results.failed++
    console.log(`FAIL  ${name} (${seconds(since)})`)
    console.log(indent(error instanceof Error ? error.message : String(error)))
    return false
  }
}

function indent(text) {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `      ${line}`)
    .join('\n')
}

/** Runs a command to its end (at most `timeout`); throws with its output when it fails. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    timeout: options.timeout ?? COMMAND_LIMIT_MS,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  })
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}\n${output}`)
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}\n${output}`)
  }
  return result.stdout
}

function assert(condition, message) {
  if (!condition) throw new Error(message)
}

// ---------------------------------------------------------------------------------------------------
// The packages

const workspace = ['packages', 'apps'].flatMap((group) =>
  readdirSync(join(root, group))
    .map((name) => join(root, group, name))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) })),
)
const publishable = workspace.filter((pkg) => pkg.manifest.private !== true)
const names = new Set(publishable.map((pkg) => pkg.manifest.name))
console.log(`pack-check: ${publishable.length} publishable packages: ${[...names].join(', ')}`)

const packDir = mkdtempSync(join(tmpdir(), 'tote-pack-'))
const scratch = mkdtempSync(join(tmpdir(), 'tote-pack-check-'))
if (!keep) {
  cleanups.push(() => rmSync(packDir, { recursive: true, force: true }))
  cleanups.push(() => rmSync(scratch, { recursive: true, force: true }))
} else {
  console.log(`pack-check: tarballs in ${packDir}, scratch project in ${scratch}`)
}
assert(relative(root, scratch).startsWith('..'), 'the scratch project must be outside the repository')

const pnpm = join(root, 'node_modules', '.bin', 'pnpm')
const turbo = join(root, 'node_modules', '.bin', 'turbo')
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' }
const pathSeparator = process.platform === 'win32' ? ';' : ':'
// Settings that `npm run` hands its script and that belong to the repository, not to the scratch project.
for (const key of Object.keys(env)) {
  if (/^npm_(package|lifecycle)_|^npm_config_(local_prefix|prefix)$|^INIT_CWD$/i.test(key)) delete env[key]
}

await check('build every package (turbo, cached)', () => {
  // turbo looks for pnpm on PATH
  const path = [join(root, 'node_modules', '.bin'), env.PATH].join(pathSeparator)
  run(turbo, ['run', 'build', '--output-logs=errors-only'], {
    cwd: root,
    env: { ...env, PATH: path },
    timeout: 10 * 60_000,
  })
})

// The CLI writes a V8 code cache next to its bundle when it runs (apps/cli/README.md): run it once, so
// that the tarball check below sees one to leave out.
const cliPackage = publishable.find((pkg) => pkg.manifest.bin?.tote)
if (cliPackage) {
  await check('the CLI in the repository wrote its V8 code cache (which its tarball must leave out)', () => {
    run(join(cliPackage.dir, 'bin', 'tote.js'), ['--version'], {
      cwd: cliPackage.dir,
      env: { ...env, TOTE_CODE_CACHE: '1' },
    })
    const folder = join(cliPackage.dir, 'dist', '.code-cache')
    assert(existsSync(folder) && readdirSync(folder).length > 0, `nothing in ${relative(root, folder)}`)
  })
}

for (const pkg of publishable) {
  const { name, version } = pkg.manifest
  pkg.tarball = join(packDir, `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`)
  pkg.unpacked = join(packDir, 'unpacked', name)
  await check(`pack ${name}`, () => {
    run(pnpm, ['pack', '--pack-destination', packDir], { cwd: pkg.dir, env })
    assert(existsSync(pkg.tarball), `pnpm pack wrote no ${pkg.tarball}`)
    mkdirSync(pkg.unpacked, { recursive: true })
    run('tar', ['xzf', pkg.tarball, '-C', pkg.unpacked])
    pkg.files = run('tar', ['tzf', pkg.tarball]).split('\n').filter(Boolean)
    pkg.packed = JSON.parse(readFileSync(join(pkg.unpacked, 'package', 'package.json'), 'utf8'))
  })
}

for (const pkg of publishable.filter((pkg) => pkg.packed)) {
  await check(`tarball of ${pkg.manifest.name}: ${pkg.files.length} files, ${kib(pkg.tarball)}`, () =>
    checkTarball(pkg),
  )
}

function kib(file) {
  return `${Math.round(statSync(file).size / 1024)} KiB`
}

function checkTarball(pkg) {
  const { files, packed } = pkg
  const problems = []
  const inside = new Set(files.map((file) => file.replace(/^package\//, '')))
  for (const file of files) {
    const path = file.replace(/^package\//, '')
    if (!file.startsWith('package/')) problems.push(`${file}: outside package/`)
    else if (/(^|\/)\.code-cache(\/|$)|\.bin$/.test(path)) problems.push(`${path}: a V8 code cache file`)
    else if (/\.map$/.test(path)) problems.push(`${path}: a source map`)
    else if (/\.tsbuildinfo$/.test(path)) problems.push(`${path}: a TypeScript build record`)
    else if (!/^(package\.json|README\.md|LICENSE|dist\/.+|bin\/.+)$/.test(path)) {
      problems.push(`${path}: not a built file, README, LICENSE or package.json`)
    }
  }
  for (const required of ['package.json', 'README.md', 'LICENSE']) {
    if (!inside.has(required)) problems.push(`${required} is missing`)
  }
  const text = JSON.stringify(packed)
  if (text.includes('"source"')) problems.push('package.json still has a "source" export condition')
  if (/\bsrc\//.test(JSON.stringify({ exports: packed.exports, main: packed.main, types: packed.types }))) {
    problems.push('package.json points into src/')
  }
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, spec] of Object.entries(packed[field] ?? {})) {
      if (String(spec).startsWith('workspace:')) problems.push(`${field}.${dep} is ${spec}`)
    }
  }
  if (packed.license !== 'MIT') problems.push(`license is ${packed.license}`)
  if (typeof packed.repository?.url !== 'string' || !packed.repository.directory) {
    problems.push('repository (url and directory) is missing')
  }
  if (typeof packed.homepage !== 'string') problems.push('homepage is missing')
  if (typeof packed.bugs?.url !== 'string') problems.push('bugs.url is missing')
  for (const target of targetsOf(packed)) {
    if (!inside.has(target.replace(/^\.\//, '')))
      problems.push(`${target} is named by package.json but not packed`)
  }
  const withoutSource = JSON.stringify(pkg.manifest.exports, (key, value) =>
    key === 'source' ? undefined : value,
  )
  if (JSON.stringify(packed.exports) !== withoutSource) {
    problems.push(
      "packed exports differ from the repository's without `source`: update publishConfig.exports",
    )
  }
  problems.push(...undeclaredImports(pkg))
  problems.push(...staleBuildFiles(pkg))
  assert(problems.length === 0, problems.join('\n'))
}

/** Every file package.json points at: exports (all conditions), main, types, bin. */
function targetsOf(manifest) {
  const targets = []
  const walk = (value) => {
    if (typeof value === 'string') targets.push(value)
    else if (value && typeof value === 'object') for (const inner of Object.values(value)) walk(inner)
  }
  walk(manifest.exports)
  for (const field of ['main', 'types']) if (manifest[field]) targets.push(manifest[field])
  if (typeof manifest.bin === 'string') targets.push(manifest.bin)
  else walk(manifest.bin)
  return targets
}

/**
 * tsc never deletes what it built before, and turbo restores outputs over what is there: a dist/
 * file whose source is gone would be published. (The CLI's build empties dist/ itself.)
 */
function staleBuildFiles(pkg) {
  if (!existsSync(join(pkg.dir, 'tsconfig.build.json'))) return []
  return pkg.files
    .map((file) => file.replace(/^package\//, ''))
    .filter((file) => file.startsWith('dist/'))
    .filter((file) => {
      const source = file.replace(/^dist\//, 'src/').replace(/\.d\.ts$|\.js$/, '.ts')
      return !existsSync(join(pkg.dir, source))
    })
    .map((file) => `${file}: built from a source that is gone (empty dist/ and build again)`)
}

/** Packages that the built code (or its type declarations) imports without depending on them. */
function undeclaredImports(pkg) {
  const declared = new Set([
    pkg.packed.name,
    ...Object.keys(pkg.packed.dependencies ?? {}),
    ...Object.keys(pkg.packed.peerDependencies ?? {}),
    ...Object.keys(pkg.packed.optionalDependencies ?? {}),
  ])
  const builtins = new Set(builtinModules)
  const problems = new Set()
  // import … from 'x', export … from 'x', import 'x', import('x'), require('x'): also in minified bundles.
  const patterns = [
    /(?:^|[\s;})])(?:import|export)\b[^'"`;]*?\bfrom\s*(['"])([^'"\n]+)\1/gm,
    /(?:^|[\s;})])import\s*(['"])([^'"\n]+)\1/gm,
    /\b(?:import|require)\s*\(\s*(['"])([^'"\n]+)\1\s*\)/gm,
  ]
  for (const file of pkg.files) {
    if (!/\.(c|m)?js$|\.d\.ts$/.test(file)) continue
    const source = readFileSync(join(pkg.unpacked, file), 'utf8')
    for (const [, , specifier] of patterns.flatMap((pattern) => [...source.matchAll(pattern)])) {
      if (specifier.startsWith('.') || specifier.startsWith('node:') || specifier.startsWith('/')) continue
      const name = specifier.startsWith('@')
        ? specifier.split('/').slice(0, 2).join('/')
        : specifier.split('/')[0]
      if (builtins.has(name) || declared.has(name)) continue
      problems.add(`${file.replace(/^package\//, '')} imports ${specifier}, which is not a dependency`)
    }
  }
  return [...problems]
}

// ---------------------------------------------------------------------------------------------------
// The scratch project

const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const packedOnes = publishable.filter((pkg) => pkg.packed)
const installed = await check(
  `npm install of ${packedOnes.length} tarballs into a scratch project outside the repository`,
  () => {
    const dependencies = Object.fromEntries(
      packedOnes.map((pkg) => [pkg.manifest.name, `file:${pkg.tarball}`]),
    )
    writeFileSync(
      join(scratch, 'package.json'),
      `${JSON.stringify(
        {
          name: 'tote-pack-check',
          private: true,
          type: 'module',
          dependencies,
          devDependencies: {
            typescript: rootManifest.devDependencies.typescript,
            '@types/node': rootManifest.devDependencies['@types/node'],
          },
          // Every @tote/* dependency of a tarball is that tarball, never a registry's package.
          overrides: Object.fromEntries(
            packedOnes.map((pkg) => [pkg.manifest.name, `$${pkg.manifest.name}`]),
          ),
        },
        null,
        2,
      )}\n`,
    )
    run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], {
      cwd: scratch,
      env,
      timeout: 6 * 60_000,
    })
    for (const pkg of packedOnes) {
      const copy = join(scratch, 'node_modules', pkg.manifest.name, 'package.json')
      assert(existsSync(copy), `${pkg.manifest.name} is not in the scratch project's node_modules`)
    }
    const nested = run('npm', ['ls', '--all', '--parseable'], { cwd: scratch, env })
      .split('\n')
      .filter((line) => /node_modules\/.+\/node_modules\/@tote\//.test(line))
    assert(nested.length === 0, `nested copies of @tote packages:\n${nested.join('\n')}`)
  },
)

if (installed) {
  await check('TypeScript: every package imports with its declarations (skipLibCheck off)', () => {
    const lines = []
    for (const pkg of packedOnes) {
      for (const subpath of Object.keys(pkg.packed.exports ?? {})) {
        if (subpath === './package.json') continue
        const specifier = subpath === '.' ? pkg.manifest.name : `${pkg.manifest.name}${subpath.slice(1)}`
        lines.push(`import * as m${lines.length} from '${specifier}'`)
      }
    }
    lines.push(`console.log(${lines.map((_, i) => `m${i}`).join(', ')})`)
    writeFileSync(join(scratch, 'imports.ts'), `${lines.join('\n')}\n`)
    writeFileSync(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          lib: ['ES2023'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: ['node'],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
        },
        files: ['imports.ts'],
      }),
    )
    run(process.execPath, [join(scratch, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', scratch], {
      cwd: scratch,
    })
  })

  for (const pkg of packedOnes) await runReadmeExamples(pkg)
  await checkCli()
}

/**
 * The README's examples: each fenced block right after a `<!-- example -->` line. Every package a
 * JavaScript example imports must be named by the README's install command (`npm install …`).
 */
async function runReadmeExamples(pkg) {
  const name = pkg.manifest.name
  const readme = readFileSync(join(pkg.unpacked, 'package', 'README.md'), 'utf8')
  const examples = [...readme.matchAll(/<!-- example -->\s*\n```(\w+)\n([\s\S]*?)\n```/g)].map(
    ([, language, code]) => ({ language, code }),
  )
  const installLine = /```sh\n(?:[^\n]*\n)*?npm install ([^\n]+)/.exec(readme)?.[1] ?? ''
  const installs = new Set(installLine.split(/\s+/).filter((word) => word && !word.startsWith('-')))
  await check(`${name} README: install command and examples`, () => {
    assert(installs.has(name), `no \`npm install ${name}\` in a sh block`)
    for (const other of installs) {
      assert(names.has(other) || !other.startsWith('@tote/'), `installs ${other}, which is not published`)
    }
    assert(examples.length > 0, 'no example (a fenced block after <!-- example -->)')
  })
  for (const [index, example] of examples.entries()) {
    const label = `${name} README example ${index + 1} (${example.language})`
    await check(label, () => {
      const folder = mkdtempSync(join(scratch, 'run-'))
      const runEnv = {
        ...env,
        PATH: [join(scratch, 'node_modules', '.bin'), env.PATH].join(pathSeparator),
        TMPDIR: folder,
        TOTE_CACHE_DIR: join(folder, '.tote-cache'),
      }
      if (example.language === 'js') {
        const imports = [...example.code.matchAll(/^import [^'"]*['"]([^'"]+)['"]/gm)].map(
          ([, specifier]) => specifier,
        )
        for (const specifier of imports) {
          if (specifier.startsWith('node:')) continue
          const imported = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier
          assert(installs.has(imported), `imports ${imported}, which the install command does not name`)
        }
        const file = join(scratch, `example-${name.replace(/\W+/g, '-')}-${index + 1}.mjs`)
        writeFileSync(file, `${example.code}\n`)
        run(process.execPath, [file], { cwd: folder, env: runEnv })
      } else if (example.language === 'sh') {
        run('bash', ['-euo', 'pipefail', '-c', example.code], { cwd: folder, env: runEnv })
      } else {
        throw new Error(`no runner for \`\`\`${example.language} blocks`)
      }
    })
  }
}

// ---------------------------------------------------------------------------------------------------
// The packed CLI against a loopback registry

async function checkCli() {
  const cli = publishable.find((pkg) => pkg.packed?.bin?.tote)
  if (!cli) {
    await check('the packed CLI', () => assert(false, 'no packed package has a `tote` bin'))
    return
  }
  const tote = join(scratch, 'node_modules', '.bin', 'tote')
  const server = join(scratch, 'serve-registry.mjs')
  writeFileSync(
    server,
    `import { createTestRegistry } from '@tote/test-registry'
const registry = await createTestRegistry({
  packages: {
    hello: {
      versions: {
        '1.0.0': {
          bin: { hello: 'cli.js' },
          dependencies: { world: '^2.0.0' },
          files: { 'cli.js': "#!/usr/bin/env node\\nconsole.log('hello, world ' + require('world/package.json').version)\\n" },
        },
      },
    },
    world: { versions: { '1.0.0': {}, '2.0.0': {}, '2.1.0': {} } },
  },
})
process.stdout.write(registry.url + '\\n')
process.stdin.resume()
process.stdin.on('end', () => registry.close())
`,
  )
  const child = spawn(process.execPath, [server], { cwd: scratch, stdio: ['pipe', 'pipe', 'inherit'] })
  cleanups.push(() => child.kill('SIGKILL'))
  let registry
  const up = await check('loopback registry from the packed @tote/test-registry', async () => {
    registry = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no URL within 30 s')), 30_000)
      let text = ''
      child.stdout.on('data', (chunk) => {
        text += chunk
        if (text.includes('\n')) {
          clearTimeout(timer)
          resolve(text.trim())
        }
      })
      child.on('exit', (code) => reject(new Error(`the registry exited with ${code}`)))
    })
    assert(/^http:\/\/127\.0\.0\.1:\d+\/$/.test(registry), `unexpected URL ${registry}`)
  })
  if (!up) return

  const project = join(scratch, 'cli-project')
  const home = join(scratch, 'cli-home')
  mkdirSync(project)
  mkdirSync(home)
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'cli-check', version: '1.0.0', private: true, dependencies: { hello: '^1.0.0' } }, null, 2)}\n`,
  )
  const cliEnv = {
    ...env,
    HOME: home,
    npm_config_userconfig: join(home, '.npmrc'),
    npm_config_registry: registry,
    TOTE_CACHE_DIR: join(scratch, 'cli-cache'),
  }
  const toteRun = (args) => run(tote, args, { cwd: project, env: cliEnv })
  await check(`tote --version is ${cli.packed.version}`, () => {
    const printed = toteRun(['--version']).trim()
    assert(printed.endsWith(cli.packed.version), `printed ${printed}`)
  })
  const lockEntries = () => {
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8'))
    return Object.entries(lock.packages)
      .filter(([path]) => path)
      .map(([path, entry]) => `${path}@${entry.version}`)
  }
  const helloRuns = () => {
    const printed = run(join(project, 'node_modules', '.bin', 'hello'), [], {
      cwd: project,
      env: cliEnv,
    }).trim()
    assert(printed === 'hello, world 2.1.0', `node_modules/.bin/hello printed ${printed}`)
  }
  await check('tote install: package-lock.json, node_modules and the bin link', () => {
    const output = toteRun(['install'])
    assert(/added 2 packages/.test(output), `output:\n${output}`)
    const entries = lockEntries()
    assert(
      JSON.stringify(entries) === JSON.stringify(['node_modules/hello@1.0.0', 'node_modules/world@2.1.0']),
      `package-lock.json has ${entries.join(', ')}`,
    )
    helloRuns()
  })
  await check('tote install again: up to date', () => {
    const output = toteRun(['install'])
    assert(/up to date/.test(output), `output:\n${output}`)
  })
  await check('tote ci: a fresh node_modules from package-lock.json, from the cache', () => {
    rmSync(join(project, 'node_modules'), { recursive: true, force: true })
    const output = toteRun(['ci'])
    assert(/added 2 packages/.test(output), `output:\n${output}`)
    helloRuns()
  })
  child.stdin.end()
}

clearTimeout(overall)
console.log(`pack-check: done in ${seconds(started)}`)
finish(0)
