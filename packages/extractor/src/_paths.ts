/** Where an entry goes inside the package, or why it must not be written. */
export type EntryPath =
  | { kind: 'inside'; path: string }
  /** The top folder itself (`package/`), or an entry with no top folder (`README` at the root). */
  | { kind: 'top'; name: string }
  | { kind: 'refused'; reason: string }

const DRIVE = /^[a-zA-Z]:/
/** The longest file name most file systems take (bytes); longer ones fail with ENAMETOOLONG. */
const NAME_MAX = 255

/**
 * Checks a raw entry name and strips its top folder, whatever that folder is called (`package/`,
 * `node/`, …), as npm does. `\` counts as a separator on every platform, so `a\..\..\x` is refused
 * like `a/../../x`. Any `..` segment refuses the entry (npm drops those too, even harmless ones).
 */
export function entryPath(name: string): EntryPath {
  if (name.includes('\0')) return { kind: 'refused', reason: 'a NUL byte in the path' }
  const slashed = name.replaceAll('\\', '/')
  if (slashed.startsWith('/')) return { kind: 'refused', reason: 'an absolute path' }
  if (DRIVE.test(slashed)) return { kind: 'refused', reason: 'a drive letter' }
  const segments: string[] = []
  for (const segment of slashed.split('/')) {
    if (segment === '..') return { kind: 'refused', reason: 'a ".." segment' }
    if (segment.length * 3 > NAME_MAX && Buffer.byteLength(segment) > NAME_MAX) {
      return { kind: 'refused', reason: `a name longer than ${NAME_MAX} bytes` }
    }
    if (segment !== '' && segment !== '.') segments.push(segment)
  }
  if (segments.length <= 1) return { kind: 'top', name: segments[0] ?? '' }
  const path = segments.slice(1).join('/')
  if (DRIVE.test(path)) return { kind: 'refused', reason: 'a drive letter' }
  return { kind: 'inside', path }
}
