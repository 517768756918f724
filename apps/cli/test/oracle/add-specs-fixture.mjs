// The fixture of add-specs-cases.json, shared by derive-add-specs.mjs (npm) and add-specs.test.ts
// (tote): the registry's packages, a git repository `owner/gdep` (1.0.0 tag v1.0.0, 1.1.0 tag v1.1.0,
// 2.0.0 on main, untagged, depending on ms), and a project folder with `../lib` beside it.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

export const ADD_SPECS_PACKAGES = {
  ms: { versions: { '1.0.0': {}, '1.1.0': {}, '2.0.0': {} } },
  tb: { versions: { '1.0.0': { files: { 'index.js': 'module.exports = "tb"\n' } } } },
}

const git = (args, cwd) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  }).trim()

/** Makes `<root>/srv/owner/gdep.git` (bare); returns the folder served and each version's commit. */
export function makeGitRepository(root) {
  const work = join(root, 'gdep-work')
  git(['init', '-q', '-b', 'main', work], root)
  const commits = {}
  for (const version of ['1.0.0', '1.1.0', '2.0.0']) {
    const manifest = { name: 'gdep', version, license: 'MIT' }
    if (version === '2.0.0') manifest.dependencies = { ms: '^1.0.0' }
    writeFileSync(join(work, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
    writeFileSync(join(work, 'index.js'), `module.exports = '${version}'\n`)
    git(['add', '-A'], work)
    git(['-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-q', '-m', version], work)
    commits[version] = git(['rev-parse', 'HEAD'], work)
    if (version !== '2.0.0') git(['tag', `v${version}`], work)
  }
  const srv = join(root, 'srv')
  git(['clone', '-q', '--bare', work, join(srv, 'owner', 'gdep.git')], root)
  return { srv, commits }
}

/**
 * A project `<base>/project` (HOME `<base>/home`, whose .gitconfig maps GitHub's and GitLab's https
 * and ssh URLs onto `gitUrl`), `<base>/lib` (lib@1.2.3, depending on ms ^1) and the registry's
 * tarball of tb@1.0.0 as `<base>/project/tb-1.0.0.tgz`.
 */
export async function writeProject(base, gitUrl, registry) {
  const dir = join(base, 'project')
  const home = join(base, 'home')
  mkdirSync(dir, { recursive: true })
  mkdirSync(home, { recursive: true })
  mkdirSync(join(base, 'lib'), { recursive: true })
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'p', version: '1.0.0' }, null, 2)}\n`)
  writeFileSync(
    join(base, 'lib', 'package.json'),
    `${JSON.stringify({ name: 'lib', version: '1.2.3', dependencies: { ms: '^1.0.0' } }, null, 2)}\n`,
  )
  const hosts = [
    'https://github.com/',
    'ssh://git@github.com/',
    'https://gitlab.com/',
    'ssh://git@gitlab.com/',
  ]
  writeFileSync(
    join(home, '.gitconfig'),
    `[url "${gitUrl}"]\n${hosts.map((host) => `\tinsteadOf = ${host}\n`).join('')}`,
  )
  const tarball = await fetch(registry.tarballUrl('tb', '1.0.0'))
  writeFileSync(join(dir, 'tb-1.0.0.tgz'), Buffer.from(await tarball.arrayBuffer()))
  return { dir, home, base: dirname(dir) }
}
