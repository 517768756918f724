import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

// A fixture that is an npm-workspaces monorepo: its package.json `workspaces` (an array of globs, or
// `{ "packages": [...] }`) names folders whose package.json files every run's project folder gets
// too. pnpm reads no `workspaces`: it gets the same list as a pnpm-workspace.yaml, with workspace
// packages linked wherever their version fits, as npm, bun and utoo link them.

/** The `workspaces` globs of a package.json, as npm reads them (negations left out). */
export function workspacePatterns(manifest: unknown): string[] {
  const field = (manifest as { workspaces?: unknown } | null)?.workspaces
  const list = Array.isArray(field) ? field : (field as { packages?: unknown } | undefined)?.packages
  if (!Array.isArray(list)) return []
  return list.filter((item): item is string => typeof item === 'string' && !item.startsWith('!'))
}

/**
 * The fixture's workspace folders (relative, `/`-separated, sorted): those the patterns match
 * (`*` within a name, `**` any depth) that hold a package.json; node_modules never.
 */
export function workspaceFolders(fixtureDir: string, patterns: string[]): string[] {
  const found = new Set<string>()
  const visit = (relative: string[], rest: string[]) => {
    const here = join(fixtureDir, ...relative)
    if (rest.length === 0) {
      if (relative.length > 0 && existsSync(join(here, 'package.json'))) found.add(relative.join('/'))
      return
    }
    const [segment, ...after] = rest as [string, ...string[]]
    if (segment === '' || segment === '.') return visit(relative, after)
    if (segment === '**') {
      visit(relative, after)
      for (const name of subfolders(here)) visit([...relative, name], rest)
      return
    }
    if (!segment.includes('*')) {
      if (existsSync(join(here, segment)) && statSync(join(here, segment)).isDirectory())
        visit([...relative, segment], after)
      return
    }
    const matcher = new RegExp(`^${segment.split('*').map(escapeRegExp).join('[^/]*')}$`)
    for (const name of subfolders(here)) if (matcher.test(name)) visit([...relative, name], after)
  }
  for (const pattern of patterns) visit([], pattern.replace(/^\.\//, '').replace(/\/+$/, '').split('/'))
  return [...found].sort()
}

function subfolders(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
  } catch {
    return []
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
}

/** Copies each workspace folder's package.json from the fixture into `projectDir`, at the same place. */
export function copyWorkspaceManifests(fixtureDir: string, projectDir: string, folders: string[]): void {
  for (const folder of folders) {
    mkdirSync(join(projectDir, folder), { recursive: true })
    copyFileSync(join(fixtureDir, folder, 'package.json'), join(projectDir, folder, 'package.json'))
  }
}

/** pnpm's pnpm-workspace.yaml for the same workspaces (linked like npm links them). */
export function pnpmWorkspaceYaml(patterns: string[]): string {
  const lines = patterns.map((pattern) => `  - ${JSON.stringify(pattern)}`)
  return `packages:\n${lines.join('\n')}\nlinkWorkspacePackages: true\n`
}

/** The workspace folders of the fixture whose package.json is at `packageJsonPath`. */
export function fixtureWorkspaces(
  dir: string,
  packageJsonPath: string,
): { patterns: string[]; folders: string[] } {
  const patterns = workspacePatterns(JSON.parse(readFileSync(packageJsonPath, 'utf8')) as unknown)
  return { patterns, folders: patterns.length > 0 ? workspaceFolders(dir, patterns) : [] }
}
