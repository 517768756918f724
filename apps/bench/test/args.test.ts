import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isToteError } from '@tote/types'
import { beforeAll, describe, expect, it } from 'vitest'
import { type ArgsEnvironment, parseBenchArgs, parseVariants, splitWords } from '../src/_args.js'

let root: string
let environment: ArgsEnvironment

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pm-bench-args-'))
  const repoRoot = join(root, 'main')
  for (const name of ['vite-react-ts', 'ant-design']) {
    mkdirSync(join(root, 'shared', 'fixtures', name), { recursive: true })
    writeFileSync(join(root, 'shared', 'fixtures', name, 'package.json'), '{"name":"fixture"}')
  }
  writeFileSync(join(root, 'shared', 'fixtures', 'ant-design', '.npmrc'), 'legacy-peer-deps=true\n')
  mkdirSync(repoRoot)
  environment = { repoRoot, cwd: repoRoot, home: join(root, 'home'), env: {} }
})

function usageMessage(argv: string[]): string {
  try {
    parseBenchArgs(argv, environment)
  } catch (error) {
    if (isToteError(error) && error.details.usage) return error.message
    throw error
  }
  throw new Error('expected a usage error')
}

describe('parseBenchArgs', () => {
  it('defaults to every package manager and phase, 3 rounds, the vite fixture and folders outside the repo', () => {
    const options = parseBenchArgs([], environment)
    expect(options.pms).toEqual(['tote', 'npm', 'pnpm', 'bun', 'utoo'])
    expect(options.phases).toEqual(['p0_full_cold', 'p1_resolve', 'p3_cold_install', 'p4_warm_link'])
    expect(options.rounds).toBe(3)
    expect(options.addPackage).toBe('zod')
    expect(options.fixture.name).toBe('vite-react-ts')
    expect(options.fixture.npmrcPath).toBeUndefined()
    expect(options.outDir).toBe(join(root, 'main', 'bench-results'))
    expect(options.toolsDir).toBe(join(root, 'home', '.cache', 'tote-bench', 'tools'))
    expect(options.keep).toBe(false)
    expect(options.minFreeBytes).toBe(20 * 1024 ** 3)
    expect(options.render).toBeUndefined()
  })

  it('takes --render as a results folder, relative to the current folder', () => {
    const options = parseBenchArgs(['--render', 'bench-results/run-1'], environment)
    expect(options.render).toBe(join(root, 'main', 'bench-results', 'run-1'))
  })

  it('reads lists, rounds, folders and flags', () => {
    const options = parseBenchArgs(
      [
        '--pm',
        'npm,pnpm',
        '--pm',
        'bun',
        '--phases',
        'p5_add,p4_warm_link,p1_resolve',
        '--add-package',
        '@scope/pkg@^2.0.0',
        '--rounds',
        '5',
        '--fixture',
        join(root, 'shared', 'fixtures', 'ant-design', 'package.json'),
        '--out',
        '/tmp/out',
        '--tools',
        '/tmp/tools',
        '--min-free-gb',
        '30',
        '--keep',
      ],
      environment,
    )
    expect(options.pms).toEqual(['npm', 'pnpm', 'bun'])
    // Phases always run in order, so lockfile-writing phases come first.
    expect(options.phases).toEqual(['p1_resolve', 'p4_warm_link', 'p5_add'])
    expect(options.addPackage).toBe('@scope/pkg@^2.0.0')
    expect(options.rounds).toBe(5)
    expect(options.fixture.name).toBe('ant-design')
    expect(options.fixture.npmrcPath).toBe(join(root, 'shared', 'fixtures', 'ant-design', '.npmrc'))
    expect(options.outDir).toBe('/tmp/out')
    expect(options.toolsDir).toBe('/tmp/tools')
    expect(options.minFreeBytes).toBe(30 * 1024 ** 3)
    expect(options.keep).toBe(true)
  })

  it('caps the rounds of the package managers --pm-rounds names', () => {
    expect(parseBenchArgs([], environment).pmRounds).toEqual({})
    expect(
      parseBenchArgs(['--pm-rounds', 'npm=1,pnpm=2', '--pm-rounds', 'bun=1'], environment).pmRounds,
    ).toEqual({
      npm: 1,
      pnpm: 2,
      bun: 1,
    })
    expect(usageMessage(['--pm-rounds', 'yarn=1'])).toMatch(/--pm-rounds takes PM=n/)
    expect(usageMessage(['--pm-rounds', 'npm'])).toMatch(/--pm-rounds takes PM=n/)
    expect(usageMessage(['--pm-rounds', 'npm=0'])).toMatch(/--pm-rounds takes a whole number/)
  })

  it('takes the tools folder from TOTE_BENCH_TOOLS, and a fixture folder as well as its package.json', () => {
    const options = parseBenchArgs(['--fixture', '../shared/fixtures/ant-design'], {
      ...environment,
      cwd: join(root, 'main'),
      env: { TOTE_BENCH_TOOLS: '/opt/bench-tools' },
    })
    expect(options.toolsDir).toBe('/opt/bench-tools')
    expect(options.fixture.dir).toBe(join(root, 'shared', 'fixtures', 'ant-design'))
  })

  it('rejects unknown names, bad numbers, tools inside the repo and missing fixtures', () => {
    expect(usageMessage(['--pm', 'yarn'])).toMatch(/Unknown package manager "yarn"/)
    expect(usageMessage(['--phases', 'p2_fetch'])).toMatch(/Unknown phase "p2_fetch"/)
    expect(usageMessage(['--rounds', '0'])).toMatch(/--rounds takes a whole number/)
    expect(usageMessage(['--rounds', '2.5'])).toMatch(/--rounds takes a whole number/)
    expect(usageMessage(['--tools', 'tools'])).toMatch(/inside the repository/)
    expect(usageMessage(['--fixture', '/nonexistent/fixture'])).toMatch(/does not exist/)
    expect(usageMessage(['--bogus'])).toMatch(/bogus/)
    expect(usageMessage(['extra'])).toMatch(/Unexpected argument "extra"/)
    expect(usageMessage(['--add-package', 'zod;true'])).toMatch(/--add-package takes a package name/)
    expect(usageMessage(['--add-package', 'a b'])).toMatch(/--add-package takes a package name/)
  })
})

describe('builds', () => {
  it('runs another build of tote, named by its bin/tote.js, its CLI folder or its checkout', () => {
    const checkout = join(root, 'other')
    const bin = join(checkout, 'apps', 'cli', 'bin', 'tote.js')
    mkdirSync(join(checkout, 'apps', 'cli', 'bin'), { recursive: true })
    writeFileSync(bin, '#!/bin/sh\n')
    const options = parseBenchArgs(
      [
        '--build',
        'before=../other',
        '--build',
        `cli=${join(checkout, 'apps', 'cli')}`,
        '--build',
        `file=${bin}`,
        '--variant',
        'x=--flag',
      ],
      environment,
    )
    expect(options.variants).toEqual([
      { name: 'x', args: ['--flag'], env: {} },
      { name: 'before', args: [], env: {}, bin },
      { name: 'cli', args: [], env: {}, bin },
      { name: 'file', args: [], env: {}, bin },
    ])
  })

  it('rejects a path that holds no tote, and a name a variant has', () => {
    expect(usageMessage(['--build', 'a=../shared'])).toMatch(/neither tote's bin\/tote\.js nor a folder/)
    expect(usageMessage(['--build', 'nothing'])).toMatch(/--build takes NAME=path/)
    expect(usageMessage(['--variant', 'a=--x', '--build', `a=${join(root, 'other')}`])).toMatch(/twice/)
  })
})

describe('variants', () => {
  it('splits NAME=flags into a name and shell-like words', () => {
    expect(
      parseVariants(['fast=--network-concurrency 32 --prefer-offline', "q=--label 'two words'"]),
    ).toEqual([
      { name: 'fast', args: ['--network-concurrency', '32', '--prefer-offline'], env: {} },
      { name: 'q', args: ['--label', 'two words'], env: {} },
    ])
  })

  it('takes leading VAR=value words as the environment, as a shell does', () => {
    expect(parseVariants(['plain=TOTE_HUGE_PAGES=0', 'both=A_1=x B=y=z --flag C=d'])).toEqual([
      { name: 'plain', args: [], env: { TOTE_HUGE_PAGES: '0' } },
      { name: 'both', args: ['--flag', 'C=d'], env: { A_1: 'x', B: 'y=z' } },
    ])
  })

  it('comes through --variant, repeatable', () => {
    const options = parseBenchArgs(['--variant', 'a=--x 1', '--variant', 'b=--y'], environment)
    expect(options.variants.map((variant) => variant.name)).toEqual(['a', 'b'])
  })

  it('rejects a missing name, no flags, duplicates and unclosed quotes', () => {
    expect(() => parseVariants(['--flag'])).toThrow(/NAME=/)
    expect(() => parseVariants(['a='])).toThrow(/no flags/)
    expect(() => parseVariants(['a=--x', 'a=--y'])).toThrow(/twice/)
    expect(() => splitWords('--x "open')).toThrow(/Unclosed/)
  })

  it('makes relative module paths absolute from the folder pm-bench runs in (each run has its own)', () => {
    const options = parseBenchArgs(
      [
        '--variant',
        'swap=COUNTING_LOG=./counts.log --stage extractor=./stages/x.mjs --cloner ../y.mjs --label=./z',
        '--variant',
        'plain=--cloner copy --stage cloner=/abs/c.mjs --tag=a./b',
      ],
      environment,
    )
    expect(options.variants).toEqual([
      {
        name: 'swap',
        args: [
          '--stage',
          `extractor=${join(root, 'main', 'stages', 'x.mjs')}`,
          '--cloner',
          join(root, 'y.mjs'),
          `--label=${join(root, 'main', 'z')}`,
        ],
        env: { COUNTING_LOG: join(root, 'main', 'counts.log') },
      },
      { name: 'plain', args: ['--cloner', 'copy', '--stage', 'cloner=/abs/c.mjs', '--tag=a./b'], env: {} },
    ])
  })

  it('keeps empty quoted words', () => {
    expect(splitWords(`--a "" --b`)).toEqual(['--a', '', '--b'])
  })
})
