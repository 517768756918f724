// Re-derives npm-add-specs.json: each case of add-specs-cases.json given to npm 11 (the npm on PATH)
// in a fresh project, against @tote/test-registry and a loopback git server (git's smart HTTP:
// `git http-backend` over bare repositories; the hosted shorthands mapped
// onto it with url.<base>.insteadOf in the run's HOME). Beside the project: `../lib` (a folder), and in
// it `tb-1.0.0.tgz` (the registry's tarball of tb). Recorded per step: the exit code, package.json
// and package-lock.json (registry URL `{registry}`, git server URL `{git}`, commits `{commit:<version>}`).
// (A hosted repository is fetched by npm from its host's tarball service once its commit is known,
// which no loopback mapping reaches: those cases run with --package-lock-only.)
// Run (after `npm run setup`): node test/oracle/derive-add-specs.mjs, then
// `npx biome check --write test/oracle` to lay the file out as the repository's JSON.
import { execFile, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestRegistry } from '@tote/test-registry'
import { ADD_SPECS_PACKAGES, makeGitRepository, writeProject } from './add-specs-fixture.mjs'

const { cases } = JSON.parse(readFileSync(new URL('./add-specs-cases.json', import.meta.url), 'utf8'))
const npmVersion = spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim()
const FLAGS = ['--ignore-scripts', '--no-audit', '--no-fund', '--no-update-notifier']

const root = mkdtempSync(join(tmpdir(), 'tote-add-specs-'))
const { srv, commits } = makeGitRepository(root)
// git's smart HTTP, through `git http-backend` as CGI (as test/_git-server.ts serves it to tote)
const server = createServer((request, response) => {
  const url = new URL(request.url, 'http://h')
  const cgi = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: srv,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      REQUEST_METHOD: request.method,
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: request.headers['content-type'] ?? '',
      ...(request.headers['content-encoding']
        ? { HTTP_CONTENT_ENCODING: request.headers['content-encoding'] }
        : {}),
      ...(request.headers['git-protocol'] ? { GIT_PROTOCOL: String(request.headers['git-protocol']) } : {}),
    },
  })
  request.pipe(cgi.stdin)
  let head = Buffer.alloc(0)
  let headersDone = false
  cgi.stdout.on('data', (chunk) => {
    if (headersDone) return void response.write(chunk)
    head = Buffer.concat([head, chunk])
    const end = head.indexOf('\r\n\r\n')
    if (end === -1) return
    headersDone = true
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':')
      const name = line.slice(0, colon).trim()
      const value = line.slice(colon + 1).trim()
      if (name.toLowerCase() === 'status') response.statusCode = Number.parseInt(value, 10)
      else response.setHeader(name, value)
    }
    response.write(head.subarray(end + 4))
  })
  cgi.on('close', () => response.end())
})
await new Promise((done) => server.listen(0, '127.0.0.1', done))
const gitUrl = `http://127.0.0.1:${server.address().port}/`
const registry = await createTestRegistry({ packages: ADD_SPECS_PACKAGES })

function run(args, cwd, home, cache) {
  return new Promise((done) => {
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      npm_config_registry: registry.url,
      npm_config_cache: cache,
    }
    execFile('npm', args, { cwd, env, timeout: 300_000 }, (error, stdout, stderr) => {
      done({ status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr })
    })
  })
}

const placeholders = (text) => {
  let result = text.split(gitUrl).join('{git}').split(registry.url).join('{registry}')
  for (const [version, commit] of Object.entries(commits))
    result = result.split(commit).join(`{commit:${version}}`)
  return result
}
const read = (path) => (existsSync(path) ? placeholders(readFileSync(path, 'utf8')) : null)

const results = {}
for (const c of cases) {
  const where = await writeProject(mkdtempSync(join(root, 'case-')), gitUrl, registry)
  const steps = []
  for (const args of c.steps) {
    const given = args.map((arg) => arg.split('{git}').join(gitUrl).split('{registry}').join(registry.url))
    const result = await run([...given, ...FLAGS], where.dir, where.home, join(root, 'cache'))
    if (result.status !== 0)
      process.stderr.write(`${c.name}: ${args.join(' ')}: exit ${result.status}\n${result.stderr}\n`)
    steps.push({
      exit: result.status,
      packageJson: read(join(where.dir, 'package.json')),
      lockfile: read(join(where.dir, 'package-lock.json')),
    })
  }
  results[c.name] = { steps }
  process.stderr.write(`${c.name}: done\n`)
}
writeFileSync(
  new URL('./npm-add-specs.json', import.meta.url),
  `${JSON.stringify({ npm: npmVersion, flags: FLAGS, results }, null, 2)}\n`,
)
server.close()
await registry.close()
