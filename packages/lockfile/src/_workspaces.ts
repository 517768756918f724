import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { type ProjectManifest, ToteError } from '@tote/types'
import { readProjectManifest } from './_project.js'
import type { WorkspaceManifestFile } from './types.js'

// npm's workspaces (@npmcli/map-workspaces): package.json's `workspaces`, an array of glob patterns or
// `{ "packages": [...] }`, names folders of the project; each that holds a package.json is a
// workspace, named by its package.json (else by its folder). Patterns starting with `!` leave
// folders out; node_modules never counts. Order: the patterns' order, then each pattern's matches
// sorted by `en` collation, as npm lists them (and links them, and writes the lockfile).

interface Patterns {
  patterns: string[]
  negated: string[]
}

/** The workspace patterns of a package.json, npm's way: `!` negates, a later pattern overrides an earlier negation. */
export function workspacePatterns(workspaces: unknown): Patterns {
  const declared =
    workspaces &&
    typeof workspaces === 'object' &&
    Array.isArray((workspaces as { packages?: unknown }).packages)
      ? (workspaces as { packages: unknown[] }).packages
      : workspaces
  if (!Array.isArray(declared) || declared.some((pattern) => typeof pattern !== 'string')) {
    throw new ToteError(
      'EWORKSPACESCONFIG',
      'package.json: "workspaces" must be an array of folder patterns',
      {
        hint: 'Write "workspaces": ["packages/*"] (or { "packages": ["packages/*"] }).',
        details: { workspaces },
      },
    )
  }
  const patterns: string[] = []
  let negated: string[] = []
  for (const raw of declared as string[]) {
    const bangs = /^!+/.exec(raw)?.[0].length ?? 0
    const pattern = raw
      .slice(bangs)
      .replace(/\\/g, '/')
      .replace(/^\.?\/+/, '')
      .replace(/\/+$/, '')
    if (bangs % 2 === 1) negated.push(pattern)
    else {
      negated = negated.filter((not) => !globMatch(pattern, not))
      patterns.push(pattern)
    }
  }
  return { patterns: patterns.filter((pattern) => !negated.some((not) => globMatch(pattern, not))), negated }
}

/**
 * The project's workspaces: each folder the patterns of `manifest.workspaces` name that holds a
 * package.json, with that package.json, in npm's order. `path` is relative to the project, POSIX.
 *
 * @throws ToteError `EWORKSPACESCONFIG` when `workspaces` is not a list of patterns,
 * `EDUPLICATEWORKSPACE` when two folders hold packages of the same name, and the errors of
 * {@link readProjectManifest} for a workspace's package.json that is not valid.
 */
export async function readWorkspaces(
  projectDir: string,
  manifest: ProjectManifest,
): Promise<WorkspaceManifestFile[]> {
  if (manifest.workspaces === undefined) return []
  const { patterns, negated } = workspacePatterns(manifest.workspaces)
  if (patterns.length === 0) return []
  const folders = (await findFolders(projectDir, patterns, [...negated, '**/node_modules/**'])).sort(
    new Intl.Collator('en').compare,
  )
  const ordered: string[] = []
  for (const pattern of patterns) {
    for (const folder of folders)
      if (globMatch(folder, pattern) && !ordered.includes(folder)) ordered.push(folder)
  }
  const byName = new Map<string, WorkspaceManifestFile[]>()
  const found: WorkspaceManifestFile[] = []
  for (const path of ordered) {
    let workspace: ProjectManifest
    try {
      workspace = (await readProjectManifest(join(projectDir, path))).manifest
    } catch (error) {
      if (error instanceof ToteError && error.code === 'ENOPACKAGEJSON') continue
      throw error
    }
    const name = typeof workspace.name === 'string' && workspace.name ? workspace.name : folderName(path)
    const entry = { path, manifest: workspace }
    byName.set(name, [...(byName.get(name) ?? []), entry])
    found.push(entry)
  }
  const duplicates = [...byName].filter(([, entries]) => entries.length > 1)
  if (duplicates.length > 0) {
    const lines = duplicates.map(([name, entries]) => `${name}: ${entries.map((e) => e.path).join(', ')}`)
    throw new ToteError(
      'EDUPLICATEWORKSPACE',
      `must not have multiple workspaces with the same name:\n  ${lines.join('\n  ')}`,
      {
        hint: 'Rename one of the packages, or leave its folder out of "workspaces" with a "!" pattern.',
        details: { duplicates: Object.fromEntries(duplicates.map(([n, e]) => [n, e.map((w) => w.path)])) },
      },
    )
  }
  return found
}

/** npm's name for a folder without a package name: `a` for `packages/a`, `@s/a` for `packages/@s/a`. */
function folderName(path: string): string {
  const parts = path.split('/')
  const scope = parts.at(-2)
  return scope?.startsWith('@') ? `${scope}/${parts.at(-1)}` : (parts.at(-1) ?? '')
}

/**
 * The folders below `root` (relative, POSIX) some pattern matches and no ignore pattern does. Hidden
 * folders match only a pattern segment that starts with `.`; `**` does not enter hidden folders or
 * symlinks, as glob's defaults.
 */
async function findFolders(root: string, patterns: string[], ignore: string[]): Promise<string[]> {
  const found = new Set<string>()
  const split = patterns.map((pattern) => pattern.split('/').filter((segment) => segment !== ''))
  const visit = async (path: string, segments: string[]) => {
    if (segments.length > 0 && split.some((pattern) => matchSegments(segments, pattern, false))) {
      if (!ignore.some((pattern) => globMatch(path, pattern))) found.add(path)
    }
    if (!split.some((pattern) => matchSegments(segments, pattern, true))) return
    let entries: import('node:fs').Dirent[]
    try {
      entries = await readdir(join(root, path), { withFileTypes: true })
    } catch {
      return
    }
    await Promise.all(
      entries.map(async (entry) => {
        if (entry.name === 'node_modules') return
        const childSegments = [...segments, entry.name]
        const childPath = childSegments.join('/')
        let isFolder = entry.isDirectory()
        if (entry.isSymbolicLink()) {
          // a link to a folder is matched by name, and never walked through by `**`
          isFolder = await stat(join(root, childPath)).then(
            (stats) => stats.isDirectory(),
            () => false,
          )
          if (isFolder && split.some((pattern) => matchSegments(childSegments, pattern, false))) {
            if (!ignore.some((pattern) => globMatch(childPath, pattern))) found.add(childPath)
          }
          return
        }
        if (isFolder) await visit(childPath, childSegments)
      }),
    )
  }
  await visit('', [])
  return [...found]
}

/** Whether POSIX `path` matches glob `pattern` (`*`, `?`, `[…]`, `{a,b}`, `**`), whole. */
export function globMatch(path: string, pattern: string): boolean {
  const segments = path.split('/').filter((segment) => segment !== '')
  return matchSegments(
    segments,
    pattern.split('/').filter((segment) => segment !== ''),
    false,
  )
}

/**
 * Segments against pattern segments. `partial`: whether something below `path` could still match
 * (the path is a prefix of a match).
 */
function matchSegments(path: readonly string[], pattern: readonly string[], partial: boolean): boolean {
  const match = (i: number, j: number): boolean => {
    if (i === path.length) return partial || pattern.slice(j).every((segment) => segment === '**')
    if (j === pattern.length) return false
    const segment = pattern[j]!
    if (segment === '**') {
      // zero folders, or one more (never a hidden one)
      return match(i, j + 1) || (!path[i]!.startsWith('.') && match(i + 1, j))
    }
    return segmentRegExp(segment).test(path[i]!) && match(i + 1, j + 1)
  }
  return match(0, 0)
}

const segmentCache = new Map<string, RegExp>()

/** One pattern segment as a regular expression: braces expanded, `*` and `?` never match a leading `.`. */
function segmentRegExp(segment: string): RegExp {
  let regexp = segmentCache.get(segment)
  if (!regexp) {
    const alternatives = expandBraces(segment).map((alternative) => {
      let source = ''
      for (let i = 0; i < alternative.length; i++) {
        const char = alternative[i]!
        if (char === '*') source += '[^/]*'
        else if (char === '?') source += '[^/]'
        else if (char === '[') {
          const end = alternative.indexOf(']', i + 2)
          if (end === -1) source += '\\['
          else {
            const body = alternative
              .slice(i + 1, end)
              .replace(/^!/, '^')
              .replace(/\\/g, '\\\\')
            source += `[${body}]`
            i = end
          }
        } else if (char === '\\' && i + 1 < alternative.length) {
          source += alternative[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        } else source += char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      }
      return alternative.startsWith('.') ? source : `(?!\\.)${source}`
    })
    regexp = new RegExp(`^(?:${alternatives.join('|')})$`)
    segmentCache.set(segment, regexp)
  }
  return regexp
}

/** `{a,b}c` → `ac`, `bc` (nested braces too). */
function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf('{')
  if (open === -1) return [pattern]
  let depth = 0
  const commas: number[] = []
  for (let i = open; i < pattern.length; i++) {
    const char = pattern[i]
    if (char === '{') depth++
    else if (char === '}') {
      depth--
      if (depth === 0) {
        if (commas.length === 0) return [pattern]
        const head = pattern.slice(0, open)
        const tail = pattern.slice(i + 1)
        const bounds = [open, ...commas, i]
        const parts = bounds.slice(0, -1).map((start, k) => pattern.slice(start + 1, bounds[k + 1]))
        return parts.flatMap((part) => expandBraces(`${head}${part}${tail}`))
      }
    } else if (char === ',' && depth === 1) commas.push(i)
  }
  return [pattern]
}
