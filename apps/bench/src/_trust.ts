import { spawnSync } from 'node:child_process'
import { type Dirent, existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { PmName, TrustedCheck, TrustedDependency } from './types.js'

/**
 * Package managers that can approve one dependency's install scripts and run them: npm 11 and tote
 * (package.json `allowScripts`), pnpm (`allowBuilds` in pnpm-workspace.yaml), bun
 * (`trustedDependencies`). utoo has no approval mechanism (it runs every dependency's scripts or
 * none), so it sits out a run with `--trust`.
 */
export const TRUST_PMS: readonly PmName[] = ['tote', 'npm', 'pnpm', 'bun']

/** Where each package manager's approval goes, for the usage text and the results' notes. */
export const TRUST_MECHANISMS: Record<PmName, string> = {
  tote: 'package.json allowScripts',
  npm: 'package.json allowScripts',
  pnpm: 'pnpm-workspace.yaml allowBuilds',
  bun: 'package.json trustedDependencies',
  utoo: 'none (n/a)',
}

interface Manifest {
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  allowScripts?: Record<string, boolean>
  trustedDependencies?: string[]
  [key: string]: unknown
}

/**
 * Writes `pm`'s approval of the trusted dependencies into a run's project folder, whose
 * package.json is the fixture's: each trusted dependency with a range that the fixture does not
 * depend on is added to `dependencies` (for every package manager alike), then npm and tote get
 * `allowScripts: { "<name>": true }`, bun `trustedDependencies: ["<name>"]`, pnpm a
 * pnpm-workspace.yaml with `allowBuilds: { <name>: true }` (pnpm 11 and later read build
 * approvals from there only). Returns the files written, relative to the project.
 */
export function writeApproval(pm: PmName, projectDir: string, trust: readonly TrustedDependency[]): string[] {
  if (trust.length === 0) return []
  const manifestPath = join(projectDir, 'package.json')
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest
  for (const { name, range } of trust) {
    if (range === undefined || dependsOn(manifest, name)) continue
    manifest.dependencies = { ...manifest.dependencies, [name]: range }
  }
  const names = trust.map(({ name }) => name)
  const written = ['package.json']
  if (pm === 'npm' || pm === 'tote') {
    manifest.allowScripts = { ...manifest.allowScripts }
    for (const name of names) manifest.allowScripts[name] = true
  } else if (pm === 'bun') {
    manifest.trustedDependencies = [...new Set([...(manifest.trustedDependencies ?? []), ...names])]
  } else if (pm === 'pnpm') {
    const lines = names.map((name) => `  ${JSON.stringify(name)}: true`)
    // After a workspaces fixture's `packages:` list, when there is one (written before this).
    const yaml = join(projectDir, 'pnpm-workspace.yaml')
    const before = existsSync(yaml) ? readFileSync(yaml, 'utf8') : ''
    writeFileSync(yaml, `${before}allowBuilds:\n${lines.join('\n')}\n`)
    written.push('pnpm-workspace.yaml')
  }
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`)
  return written
}

function dependsOn(manifest: Manifest, name: string): boolean {
  return [manifest.dependencies, manifest.devDependencies, manifest.optionalDependencies].some(
    (dependencies) => dependencies?.[name] !== undefined,
  )
}

/**
 * The folder node-gyp takes as `nodedir` for the Node at `execPath`: its install prefix when the
 * headers installed with it are there (`<prefix>/include/node/node.h`), so a native build needs no
 * download; undefined otherwise.
 */
export function nodeHeadersPrefix(execPath: string): string | undefined {
  const prefix = dirname(dirname(execPath))
  return existsSync(join(prefix, 'include', 'node', 'node.h')) ? prefix : undefined
}

/**
 * After an install: whether each trusted dependency loads from the project (`require(name)` by the
 * Node at `execPath`, in the project folder) and how many compiled addons (`.node` files) its
 * folder holds. A package with a binding.gyp and no `.node` file was not built.
 */
export function checkTrusted(
  projectDir: string,
  names: readonly string[],
  execPath = process.execPath,
): TrustedCheck[] {
  return names.map((name) => {
    const packageDir = join(projectDir, 'node_modules', name)
    if (!existsSync(join(packageDir, 'package.json'))) {
      return { name, loads: false, nativeFiles: 0, hasBindingGyp: false, error: 'not installed' }
    }
    const real = realpathSync(packageDir)
    const load = spawnSync(execPath, ['-e', 'require(process.argv[1])', name], {
      cwd: projectDir,
      encoding: 'utf8',
      timeout: 60_000,
    })
    const loads = load.status === 0
    const check: TrustedCheck = {
      name,
      loads,
      nativeFiles: countNativeFiles(real),
      hasBindingGyp: existsSync(join(real, 'binding.gyp')),
    }
    if (!loads) {
      const lines = `${load.stderr ?? ''}`.trim().split('\n')
      check.error =
        lines.find((line) => /^[\w.]*Error\b/.test(line)) ?? lines[0] ?? `exit code ${load.status}`
    }
    return check
  })
}

/** `.node` files under a package folder, not descending into its own node_modules. */
function countNativeFiles(dir: string): number {
  let count = 0
  const pending = [dir]
  while (pending.length > 0) {
    const current = pending.pop()!
    let entries: Dirent[]
    try {
      entries = readdirSync(current, { withFileTypes: true })
    } catch {
      continue
    }
    for (const entry of entries) {
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') pending.push(join(current, entry.name))
      } else if (entry.isFile() && entry.name.endsWith('.node')) count++
    }
  }
  return count
}

/** Why the trusted dependencies' checks fail, or undefined when each loads (and, native, was built). */
export function trustProblem(checks: readonly TrustedCheck[]): string | undefined {
  const problems = checks.flatMap((check) => {
    if (!check.loads) return [`${check.name} does not load (${check.error ?? 'no message'})`]
    if (check.hasBindingGyp && check.nativeFiles === 0) return [`${check.name} was not built (no .node file)`]
    return []
  })
  return problems.length > 0 ? problems.join('; ') : undefined
}
