import { describe, expect, it } from 'vitest'
import { createResolver, type GitSource, parseGitSpec } from '../src/index.js'

// The spec kinds of git dependencies as npm reads them, and what npm records as `resolved`
// (pacote: a GitHub, GitLab or Bitbucket repository by its ssh URL, whatever the spec said).

describe('parseGitSpec', () => {
  it.each([
    [
      'github:u/r#v1.0.0',
      {
        urls: ['https://github.com/u/r.git', 'ssh://git@github.com/u/r.git'],
        base: 'git+ssh://git@github.com/u/r.git',
        committish: 'v1.0.0',
      },
    ],
    [
      'u/r',
      {
        urls: ['https://github.com/u/r.git', 'ssh://git@github.com/u/r.git'],
        base: 'git+ssh://git@github.com/u/r.git',
      },
    ],
    [
      'gitlab:u/r#semver:^2',
      {
        urls: ['https://gitlab.com/u/r.git', 'ssh://git@gitlab.com/u/r.git'],
        base: 'git+ssh://git@gitlab.com/u/r.git',
        range: '^2',
      },
    ],
    [
      'bitbucket:u/r',
      {
        urls: ['https://bitbucket.org/u/r.git', 'ssh://git@bitbucket.org/u/r.git'],
        base: 'git+ssh://git@bitbucket.org/u/r.git',
      },
    ],
    [
      'git+https://github.com/u/r.git#main',
      {
        urls: ['https://github.com/u/r.git', 'ssh://git@github.com/u/r.git'],
        base: 'git+ssh://git@github.com/u/r.git',
        committish: 'main',
      },
    ],
    [
      'git+https://git.example/r.git#main',
      { urls: ['https://git.example/r.git'], base: 'git+https://git.example/r.git', committish: 'main' },
    ],
    [
      'git+ssh://git@git.example/r.git',
      { urls: ['ssh://git@git.example/r.git'], base: 'git+ssh://git@git.example/r.git' },
    ],
    [
      'git+file:///srv/r.git#semver:~1.2',
      { urls: ['file:///srv/r.git'], base: 'git+file:///srv/r.git', range: '~1.2' },
    ],
    [
      'git://git.example/r.git#v2',
      { urls: ['git://git.example/r.git'], base: 'git://git.example/r.git', committish: 'v2' },
    ],
  ])('%s', (spec, expected) => {
    expect(parseGitSpec(spec)).toEqual(expected)
  })

  it('is undefined for what is no git repository', () => {
    expect(parseGitSpec('https://example.test/a.tgz')).toBeUndefined()
    expect(parseGitSpec('^1.0.0')).toBeUndefined()
  })
})

describe('git specs in a resolve', () => {
  const commit = (n: number) => String(n).repeat(40)

  /** readGit for one repository with tags v1.0.0 (commit 1…), v1.2.0 (2…) and main at 3… (2.0.0). */
  function deps(asked: GitSource[]) {
    return {
      getPackument: async () => {
        throw new Error('no registry here')
      },
      async readGit(source: GitSource) {
        asked.push(source)
        const tag = source.pickTag?.(['v1.0.0', 'v1.2.0', 'not-a-version'])
        const ref = tag ?? source.committish ?? 'main'
        const [version, n] = ref === 'v1.0.0' ? ['1.0.0', 1] : ref === 'v1.2.0' ? ['1.2.0', 2] : ['2.0.0', 3]
        return { manifest: { name: 'g', version }, commit: commit(n as number) }
      },
    }
  }

  it('records the commit and the version, and picks the highest tag of a semver: range', async () => {
    const asked: GitSource[] = []
    const { lockfile } = await createResolver(deps(asked)).resolve({
      dependencies: { a: 'github:u/g#semver:^1.0.0', b: 'git+file:///srv/g.git' },
    })
    expect(lockfile.packages['node_modules/a']).toEqual({
      name: 'g',
      version: '1.2.0',
      resolved: `git+ssh://git@github.com/u/g.git#${commit(2)}`,
    })
    expect(lockfile.packages['node_modules/b']).toEqual({
      name: 'g',
      version: '2.0.0',
      resolved: `git+file:///srv/g.git#${commit(3)}`,
    })
  })

  it('keeps a locked commit of the same repository (npm’s dep-valid), unless a semver: range or a commit rules it out', async () => {
    const locked = (spec: string, resolved: string, version: string) => ({
      lockfileVersion: 3 as const,
      requires: true,
      packages: {
        '': { dependencies: { a: spec } },
        'node_modules/a': { name: 'g', version, resolved },
      },
    })
    const resolveWith = async (spec: string, resolved: string, version: string) => {
      const asked: GitSource[] = []
      const { lockfile } = await createResolver(deps(asked)).resolve(
        { dependencies: { a: spec } },
        { lockfile: locked(spec, resolved, version) },
      )
      return { entry: lockfile.packages['node_modules/a'], asked: asked.length }
    }
    const old = `git+ssh://git@github.com/u/g.git#${commit(1)}`
    // a branch: the locked commit stays, nothing is read
    expect(await resolveWith('u/g#main', old, '1.0.0')).toEqual({
      entry: { name: 'g', version: '1.0.0', resolved: old },
      asked: 0,
    })
    // a range the locked version is not in: read again
    expect((await resolveWith('u/g#semver:^1.1.0', old, '1.0.0')).entry?.version).toBe('1.2.0')
    // another repository: read again
    expect((await resolveWith('u/other', old, '1.0.0')).asked).toBe(1)
    // a commit the lock does not have: read again
    expect((await resolveWith(`u/g#${commit(3)}`, old, '1.0.0')).asked).toBe(1)
  })

  it('without readGit a git spec is EUNSUPPORTEDSPEC', async () => {
    const resolver = createResolver({
      getPackument: async () => ({ name: 'x', 'dist-tags': {}, versions: {} }),
    })
    await expect(resolver.resolve({ dependencies: { a: 'u/g' } })).rejects.toMatchObject({
      code: 'EUNSUPPORTEDSPEC',
    })
  })
})
