import { type Dirent, existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { RunChecks } from './types.js'

export interface TreeSize {
  files: number
  bytes: number
}

/**
 * Counts the regular files under `dir` and adds up their apparent sizes, without following
 * symlinks (pnpm's and bun's links would count packages twice). A hard-linked file counts once
 * per name: this is what the install wrote into the tree, not what it costs on disk.
 */
export function treeSize(dir: string): TreeSize | undefined {
  if (!existsSync(dir)) return undefined
  const size: TreeSize = { files: 0, bytes: 0 }
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
      const path = join(current, entry.name)
      if (entry.isDirectory()) pending.push(path)
      else if (entry.isFile()) {
        size.files++
        size.bytes += lstatSync(path).size
      }
    }
  }
  return size
}

export function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size
  } catch {
    return undefined
  }
}

interface ManifestDependencies {
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
}

/**
 * Checks one run's result: the lockfile exists and is not empty, and (for install phases) every
 * direct dependency resolves from the project, `node_modules/<name>/package.json` through symlinks.
 */
export function checkInstall(options: {
  projectDir: string
  lockfileName: string
  installs: boolean
}): RunChecks {
  const { projectDir, lockfileName, installs } = options
  const lockfileWritten = (fileSize(join(projectDir, lockfileName)) ?? 0) > 0
  if (!installs) return { lockfileWritten, missingDependencies: [], missingOptional: [] }
  const manifest = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as ManifestDependencies
  const optional = Object.keys(manifest.optionalDependencies ?? {})
  const required = [
    ...new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})]),
  ].filter((name) => !optional.includes(name))
  const resolvable = (name: string) => existsSync(join(projectDir, 'node_modules', name, 'package.json'))
  return {
    lockfileWritten,
    missingDependencies: required.filter((name) => !resolvable(name)),
    missingOptional: optional.filter((name) => !resolvable(name)),
  }
}

/** Why a run's checks fail, or undefined when they pass. */
export function checkProblem(checks: RunChecks, lockfileName: string): string | undefined {
  const problems: string[] = []
  if (!checks.lockfileWritten) problems.push(`no ${lockfileName} written`)
  if (checks.missingDependencies.length > 0) {
    const names = checks.missingDependencies
    problems.push(
      `${names.length} direct dependencies not installed (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''})`,
    )
  }
  return problems.length > 0 ? problems.join('; ') : undefined
}
