import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { globMatch } from '@tote/lockfile'
import { type GitPackage, type GitSource, parseGitSpec } from '@tote/resolver'
import { type ProjectManifest, redactUrl, redactUrlsIn, ToteError } from '@tote/types'
import { type GitPreparer, needsPrepare } from './_git-prepare.js'

// Git dependencies, with the `git` on PATH (its configuration applies: credentials helpers,
// url.<base>.insteadOf): each repository is mirrored once into tote's cache (`git/<hash of URL>`),
// fetched at most once per run, a commit looked up in it, and a package packed from that commit
// with npm's pack rules (see packList). One with build scripts that allowScripts trusts is
// prepared first, in a checkout of the commit (_git-prepare.ts), and that folder packed.

export interface GitRepos {
  /** The resolver's readGit: the package.json at the commit the source names, and that commit. */
  read(source: GitSource, options?: { signal?: AbortSignal }): Promise<GitPackage>
  /** A git entry's `resolved` (`git+…#<commit>`) packed as npm packs it: a .tgz's bytes. */
  pack(resolved: string, options?: { signal?: AbortSignal }): Promise<Uint8Array>
}

/** Whether a lockfile's `resolved` is a git repository's. */
export function isGitResolved(resolved: string): boolean {
  return /^(?:git\+[a-z]+:|git:)/i.test(resolved)
}

export function createGitRepos(cacheDir: string, settings: { preparer?: GitPreparer } = {}): GitRepos {
  const fetched = new Map<string, Promise<string>>()

  /** The mirror of `url` in the cache, fetched once this run (not at all when it has `commit`). */
  async function mirror(url: string, signal: AbortSignal | undefined, commit?: string): Promise<string> {
    const dir = join(cacheDir, 'git', createHash('sha256').update(url).digest('hex').slice(0, 40))
    let done = fetched.get(dir)
    if (!done) {
      if (commit && existsSync(join(dir, 'HEAD')) && (await hasCommit(dir, commit, signal))) return dir
      done = fetched.get(dir) ?? update(url, dir, signal)
      fetched.set(dir, done)
      done.catch(() => fetched.delete(dir))
    }
    return done
  }

  async function update(url: string, dir: string, signal: AbortSignal | undefined): Promise<string> {
    if (existsSync(join(dir, 'HEAD'))) {
      await git(['-C', dir, 'fetch', '--quiet', '--prune', '--tags', 'origin'], signal, url)
      return dir
    }
    await mkdir(join(cacheDir, 'git'), { recursive: true })
    const temp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
    try {
      await git(['clone', '--mirror', '--quiet', '--', url, temp], signal, url)
      await rename(temp, dir).catch((error) => {
        // another install mirrored it meanwhile
        if (!existsSync(join(dir, 'HEAD'))) throw error
      })
    } finally {
      await rm(temp, { recursive: true, force: true })
    }
    return dir
  }

  /** The first of `urls` that can be mirrored (npm tries a hosted repository's https, then ssh). */
  async function mirrorOf(urls: string[], signal: AbortSignal | undefined, commit?: string) {
    let failure: unknown
    for (const url of urls) {
      try {
        return { dir: await mirror(url, signal, commit), url }
      } catch (error) {
        signal?.throwIfAborted()
        failure = error
      }
    }
    throw failure
  }

  return {
    async read(source, options) {
      const signal = options?.signal
      const wanted = source.committish
      const full = wanted && /^[0-9a-f]{40}$/i.test(wanted) ? wanted.toLowerCase() : undefined
      const { dir, url } = await mirrorOf(source.urls, signal, full)
      let ref = wanted ?? 'HEAD'
      if (source.pickTag) {
        const tags = (await git(['-C', dir, 'tag', '--list'], signal)).split('\n').filter(Boolean)
        const tag = source.pickTag(tags)
        if (tag === undefined) {
          throw new ToteError('ETARGET', `No tag of ${url} is in the range asked for`, {
            hint: `Its tags: ${tags.join(', ') || '(none)'}. Change the #semver: range, or tag a version in it.`,
            details: { url, tags },
          })
        }
        ref = `refs/tags/${tag}`
      }
      const commit = await revParse(dir, ref, signal, url)
      const text = await git(['-C', dir, 'show', `${commit}:package.json`], signal, url).catch(() => {
        throw new ToteError('ENOPACKAGEJSON', `${url} has no package.json at ${commit}`, {
          hint: 'A git dependency must have a package.json at the top of the repository.',
          details: { url, commit },
        })
      })
      return { manifest: parseManifest(text, url), commit }
    },

    async pack(resolved, options) {
      const signal = options?.signal
      const spec = parseGitSpec(resolved)
      const commit = spec?.committish
      if (!spec || !commit || !/^[0-9a-f]{40}$/i.test(commit)) {
        throw new ToteError('ELOCKFILE', `package-lock.json: ${resolved} is not a git URL with a commit`, {
          hint: 'Run `tote install` to resolve the git dependency again.',
          details: { resolved },
        })
      }
      const { dir, url } = await mirrorOf(spec.urls, signal, commit.toLowerCase())
      const listing = await git(['-C', dir, 'ls-tree', '-r', '-z', commit], signal, url)
      const files: { path: string; mode: string }[] = []
      for (const line of listing.split('\0')) {
        const match = /^(\d+) (\w+) [0-9a-f]+\t(.*)$/s.exec(line)
        if (match && match[2] === 'blob') files.push({ path: match[3]!, mode: match[1]! })
      }
      const show = (path: string) => git(['-C', dir, 'show', `${commit}:${path}`], signal, url)
      const manifest = parseManifest(await show('package.json'), url)
      const { preparer } = settings
      if (preparer && needsPrepare(manifest) && preparer.mayPrepare(resolved)) {
        return packPrepared(preparer, { dir, url, commit, resolved }, signal)
      }
      const ignore = files.some((file) => file.path === '.npmignore')
        ? await show('.npmignore')
        : files.some((file) => file.path === '.gitignore')
          ? await show('.gitignore')
          : ''
      const paths = packList(
        files.map((file) => file.path),
        manifest,
        ignore,
      )
      const tar = await gitBuffer(
        [
          '--literal-pathspecs',
          '-C',
          dir,
          'archive',
          '--format=tar',
          '--prefix=package/',
          commit,
          '--',
          ...paths,
        ],
        signal,
        url,
      )
      return gzipSync(tar)
    },
  }

  /**
   * npm's pack of a prepared git dependency: a checkout of the commit (in the cache, removed
   * after), its dependencies installed and its prepare run there, then the folder packed with the
   * same rules (node_modules left out), through a throw-away index so that git archives it.
   */
  async function packPrepared(
    preparer: GitPreparer,
    source: { dir: string; url: string; commit: string; resolved: string },
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    const { url } = source
    await mkdir(join(cacheDir, 'git'), { recursive: true })
    const work = join(cacheDir, 'git', `prepare-${process.pid}-${randomBytes(4).toString('hex')}`)
    try {
      await git(['clone', '--quiet', '--shared', '--no-checkout', '--', source.dir, work], signal, url)
      await git(['-C', work, 'checkout', '--quiet', '--detach', source.commit], signal, url)
      await preparer.prepare(work, source.resolved, signal)
      const manifest = parseManifest(await readFile(join(work, 'package.json'), 'utf8'), url)
      const list = join(work, '.git', 'tote-pack-list')
      await writeFile(list, (await folderPackList(work, manifest)).join('\0'))
      const env = { GIT_INDEX_FILE: join(work, '.git', 'tote-pack-index') }
      await git(
        [
          '--literal-pathspecs',
          '-C',
          work,
          'add',
          '--force',
          `--pathspec-from-file=${list}`,
          '--pathspec-file-nul',
        ],
        signal,
        url,
        env,
      )
      const tree = (await git(['-C', work, 'write-tree'], signal, url, env)).trim()
      const tar = await gitBuffer(
        ['-C', work, 'archive', '--format=tar', '--prefix=package/', tree],
        signal,
        url,
      )
      return gzipSync(tar)
    } finally {
      await rm(work, { recursive: true, force: true })
    }
  }
}

/** What `npm pack` packs of the folder at `dir`: packList over its files, with its .npmignore, else its .gitignore. */
export async function folderPackList(dir: string, manifest: ProjectManifest): Promise<string[]> {
  const paths = await filesIn(dir)
  const ignoreFile = paths.includes('.npmignore')
    ? '.npmignore'
    : paths.includes('.gitignore')
      ? '.gitignore'
      : ''
  const ignore = ignoreFile ? await readFile(join(dir, ignoreFile), 'utf8') : ''
  return packList(paths, manifest, ignore)
}

/** The files under `root` (paths with `/`), without .git and node_modules folders; links left out. */
export async function filesIn(root: string): Promise<string[]> {
  const files: string[] = []
  const walk = async (dir: string, prefix: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = prefix + entry.name
      if (entry.isDirectory()) {
        if (entry.name === 'node_modules' || (prefix === '' && entry.name === '.git')) continue
        await walk(join(dir, entry.name), `${path}/`)
      } else if (entry.isFile()) files.push(path)
    }
  }
  await walk(root, '')
  return files.sort()
}

/**
 * npm-packlist's choice, for the files of a commit: what `files` names, or else everything less
 * `.npmignore`'s patterns (else `.gitignore`'s); never what npm never packs; package.json, README,
 * LICENSE/LICENCE, `main` and the bins always. (`files` entries and ignore lines are globs, a
 * folder taking what is under it; `!` lines and ignore files below the top are not honoured.)
 */
export function packList(paths: string[], manifest: ProjectManifest, ignoreText: string): string[] {
  const under = (path: string, pattern: string) => {
    const clean = pattern.replace(/^\.?\//, '').replace(/\/$/, '')
    if (clean === '') return false
    if (globMatch(path, clean) || globMatch(path, `${clean}/**`)) return true
    return !clean.includes('/') && path.split('/').some((_, i, parts) => globMatch(parts[i]!, clean))
  }
  const files = Array.isArray(manifest.files)
    ? (manifest.files as unknown[]).filter((f) => typeof f === 'string')
    : undefined
  const ignores = ignoreText
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('!'))
  const bins = typeof manifest.bin === 'string' ? [manifest.bin] : Object.values(manifest.bin ?? {})
  const always = new Set(
    [manifest.main, ...bins]
      .filter((path): path is string => typeof path === 'string')
      .map((path) => path.replace(/^\.\//, '')),
  )
  return paths.filter((path) => {
    const base = path.split('/').pop()!
    if (path === 'package.json' || always.has(path)) return true
    if (!path.includes('/') && /^(?:readme|license|licence|copying)(?:\..*)?$/i.test(base)) return true
    if (NEVER.some((pattern) => under(path, pattern))) return false
    if (/^(?:package-lock\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb?|npm-shrinkwrap\.json)$/.test(path))
      return false
    // with `files`, the root's ignore file does not apply (npm-packlist)
    if (files) return files.some((pattern) => under(path, pattern as string))
    return !ignores.some((pattern) => under(path, pattern))
  })
}

/** What npm never packs (npm-packlist's defaults). */
const NEVER = [
  '.git',
  '.svn',
  '.hg',
  'CVS',
  'node_modules',
  '.npmignore',
  '.gitignore',
  '.npmrc',
  '.DS_Store',
  '.*.swp',
  '._*',
  '*.orig',
  'npm-debug.log',
  '.lock-wscript',
  '.wafpickle-*',
  'config.gypi',
]

function parseManifest(text: string, url: string): ProjectManifest {
  try {
    const value = JSON.parse(text) as unknown
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as ProjectManifest
  } catch {}
  throw new ToteError('EPACKAGEJSON', `The package.json of ${url} is not a JSON object`, {
    hint: 'Fix the package.json in that repository, or depend on another commit.',
    details: { url },
  })
}

async function hasCommit(dir: string, commit: string, signal: AbortSignal | undefined): Promise<boolean> {
  return git(['-C', dir, 'cat-file', '-e', `${commit}^{commit}`], signal).then(
    () => true,
    () => false,
  )
}

async function revParse(dir: string, ref: string, signal: AbortSignal | undefined, url: string) {
  try {
    return (
      await git(
        ['-C', dir, 'rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`],
        signal,
      )
    ).trim()
  } catch {
    throw new ToteError('ETARGET', `${url} has no branch, tag or commit ${ref}`, {
      hint: 'Check the part after # in the git dependency: a branch, a tag, a commit or semver:<range>.',
      details: { url, ref },
    })
  }
}

function git(
  args: string[],
  signal: AbortSignal | undefined,
  url?: string,
  env?: Record<string, string>,
): Promise<string> {
  return gitBuffer(args, signal, url, env).then((data) => data.toString('utf8'))
}

/** Runs git; a failure with a URL is EGIT (its message, credentials left out). */
function gitBuffer(
  args: string[],
  signal: AbortSignal | undefined,
  url?: string,
  env?: Record<string, string>,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        encoding: 'buffer',
        maxBuffer: 1 << 30,
        ...(signal ? { signal } : {}),
        // never a prompt for a user or a password: tote runs unattended
        env: {
          ...process.env,
          GIT_TERMINAL_PROMPT: '0',
          GIT_ASKPASS: 'echo',
          GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
          ...env,
        },
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout)
        if (url === undefined) return reject(error)
        const said = stderr.toString('utf8').trim().split('\n').slice(-2).join(' ')
        const shown = redactUrl(url)
        const command = args.find((arg) => !arg.startsWith('-') && arg !== dirArg(args)) ?? ''
        reject(
          new ToteError(
            'EGIT',
            `git ${command} of ${shown} failed: ${redactUrlsIn(said) || 'exit ' + error.code}`,
            {
              hint: 'Check the repository URL, that git can reach it (credentials, url.<base>.insteadOf), and that the commit exists.',
              details: { url: shown },
              cause: error,
            },
          ),
        )
      },
    )
  })
}

function dirArg(args: string[]): string | undefined {
  const at = args.indexOf('-C')
  return at === -1 ? undefined : args[at + 1]
}
