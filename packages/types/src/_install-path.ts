// Lockfile keys become folders that tote writes and deletes, so every key is checked before use:
// a key such as `node_modules/..` or `node_modules/a/node_modules/../../x` would otherwise reach
// outside node_modules (or outside the project).

/** A folder name that stays one folder: not empty, not `.` or `..`, no separator or NUL. */
function isPlainSegment(segment: string): boolean {
  return segment !== '' && segment !== '.' && segment !== '..' && !/[\\/\0:]/.test(segment)
}

/**
 * Why `name` cannot be a package's folder name under node_modules, or undefined when it can:
 * `name` or `@scope/name`, where neither part is empty, `.`, `..`, starts with `.`, holds `\`, `:`
 * or NUL, and the name is not `node_modules` itself. (Looser than npm's rules for new names, which
 * old packages break, but never a path that leaves its folder or lands on `.bin` or `.package-lock.json`.)
 */
export function packageNameProblem(name: string): string | undefined {
  const parts = name.split('/')
  const scoped = parts[0]!.startsWith('@')
  if (parts.length !== (scoped ? 2 : 1)) return 'a package name is one folder, or a scope and one folder'
  const base = parts[parts.length - 1]!
  if (scoped && !isPlainSegment(parts[0]!.slice(1))) return 'the scope is not a plain folder name'
  if (!isPlainSegment(base)) return 'it is not a plain folder name'
  if (base.startsWith('.')) return 'a package name cannot start with "."'
  if (base === 'node_modules') return 'a package cannot be called node_modules'
  return undefined
}

/**
 * Why `key` cannot be a key of a lockfile's `packages`, or undefined when it can. Keys are POSIX
 * paths relative to the project: `""` (the project), a folder (a workspace, or with leading `../`
 * a linked folder outside the project, as npm writes for `file:` dependencies), and below any of
 * them `node_modules/<name>` repeated. `..` is allowed only at the start, never after a name.
 */
export function lockfileKeyProblem(key: string): string | undefined {
  if (key === '') return undefined
  if (key.startsWith('/') || /^[a-zA-Z]:/.test(key)) return 'it is an absolute path'
  const segments = key.split('/')
  let i = 0
  while (segments[i] === '..') i++
  if (i === segments.length) return 'it names no folder'
  for (; i < segments.length; i++) {
    const segment = segments[i]!
    if (segment === 'node_modules') break
    if (!isPlainSegment(segment)) return `"${segment}" is not a plain folder name`
  }
  while (i < segments.length) {
    // segments[i] is node_modules: a package name follows, one or two segments.
    const first = segments[i + 1]
    if (first === undefined) return 'it ends with node_modules, not a package name'
    const name = first.startsWith('@') ? `${first}/${segments[i + 2] ?? ''}` : first
    const problem = packageNameProblem(name)
    if (problem !== undefined) return `"${name}" after node_modules: ${problem}`
    i += first.startsWith('@') ? 3 : 2
    if (i < segments.length && segments[i] !== 'node_modules') {
      return `"${segments[i]}" follows a package folder where only node_modules can`
    }
  }
  return undefined
}

/**
 * True when `key` is a valid lockfile key (see {@link lockfileKeyProblem}) that stays inside the
 * project: no leading `../`. Only such keys are ever written or removed by an install.
 */
export function isInstallPathInside(key: string): boolean {
  return key !== '' && !key.startsWith('../') && lockfileKeyProblem(key) === undefined
}
