import type { LockfilePackage } from '@tote/types'

/** Options for {@link parseLockfile}. */
export interface ParseLockfileOptions {
  /** The file the text came from, named in error messages. Default `package-lock.json`. */
  path?: string
}

/** How a JSON file is laid out, detected the way npm detects it. */
export interface LockfileFormat {
  /** The indent of the first nested line: `'  '`, `'\t'`, `'    '`… */
  indent: string
  newline: '\n' | '\r\n'
}

/** What {@link parseLockfile} remembers about the text it parsed, see {@link lockfileFormat}. */
export interface ParsedLockfileFormat extends LockfileFormat {
  /** The `lockfileVersion` the file had (2 or 3); the parsed record always says 3. */
  lockfileVersion: number
}

/** Options for {@link stringifyLockfile}. */
export interface StringifyLockfileOptions {
  /**
   * Spaces (a number) or the indent string. Default: what {@link parseLockfile} found in the
   * text this lockfile came from, else 2. `0` and `''` also mean 2, as in npm.
   */
  indent?: string | number
  /** Line ending. Default: what {@link parseLockfile} found, else `'\n'`. */
  newline?: '\n' | '\r\n'
  /**
   * Collation locale for key order. Default `'en'`. npm itself sorts with the locale of the process
   * that runs it (`LANG`); on an `en`, `C` or unset locale that is the same order as `'en'`.
   */
  locale?: string
}

/** The file operations {@link writeLockfile} uses; tests inject failing ones. */
export interface LockfileWriteFs {
  /** Create `path` (it does not exist yet) with `data` and the file `mode`, flushed to disk. */
  writeFile(path: string, data: string, mode: number): Promise<void>
  rename(from: string, to: string): Promise<void>
  /** Remove `path`; a missing file is not an error. */
  rm(path: string): Promise<void>
}

/** Options for {@link writeLockfile}. */
export interface WriteLockfileOptions extends StringifyLockfileOptions {
  /** File operations; default: `node:fs`, called synchronously (see _fs.ts for why). */
  fs?: LockfileWriteFs
}

/** Options of {@link isLockfileInSync}. */
export interface LockfileSyncOptions {
  /** The project's workspaces: each must be in the lockfile, linked, with the dependencies it declares. */
  workspaces?: readonly WorkspaceManifestFile[]
  /**
   * npm's `install-links`: a `file:` folder dependency (not a workspace's folder, not `link:`) must be
   * locked as a copy (`resolved: "file:<folder>"`, not a link), as npm installs it then.
   */
  installLinks?: boolean
}

/** The answer of {@link isLockfileInSync}. */
export interface LockfileSyncResult {
  /** True when an install may use the lockfile as is (what `npm ci` requires). */
  inSync: boolean
  /** One sentence per difference, for the user; empty when in sync. */
  reasons: string[]
}

/** Options for {@link hiddenLockfile}. */
export interface HiddenLockfileOptions {
  /**
   * Whether the package at this install path is on disk. npm writes only what it installed: the
   * entries it skipped (another platform's optional packages, `--omit` types) are left out, and
   * so is everything nested under them. Default: every entry is installed.
   */
  isInstalled?: (path: string, entry: LockfilePackage) => boolean
}

/** What {@link readProjectManifest} returns. */
export interface ProjectManifestFile {
  /** Absolute path of the package.json. */
  path: string
  manifest: import('@tote/types').ProjectManifest
  /** Its indent and line ending, which npm also uses for the lockfile. */
  format: LockfileFormat
}

/** A workspace {@link readWorkspaces} found: its folder and package.json. */
export interface WorkspaceManifestFile {
  /** The folder, relative to the project, POSIX: `packages/a`. */
  path: string
  manifest: import('@tote/types').ProjectManifest
}

/** A package whose `engines.node` a Node.js version does not satisfy (see `unsupportedEngines`). */
export interface EngineMismatch {
  /** Its path in the lockfile (`node_modules/a`; `''` for the project). */
  path: string
  name: string
  version: string
  /** Its `engines`, as the lockfile records them. */
  required: Record<string, string>
}
