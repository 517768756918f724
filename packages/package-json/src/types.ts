/** How a JSON file is laid out, as npm detects it (json-parse-even-better-errors). */
export interface JsonFormat {
  /** The indent of the first nested line (`'  '`, `'\t'`, `'    '`); `''` for a file on one line. */
  indent: string
  /** The line break: `'\n'`, `'\r\n'`, or `''` for a file on one line (npm writes none, not even a final one). */
  newline: string
}

/** A package.json as read: its text, parsed content and layout. */
export interface PackageJsonFile {
  path: string
  text: string
  content: Record<string, unknown>
  format: JsonFormat
}

export type DependencyField = 'dependencies' | 'devDependencies' | 'optionalDependencies' | 'peerDependencies'

/** The dependency maps npm edits, as arborist keeps them on the project's package. */
export interface DependencyMaps {
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  bundleDependencies?: string[]
}

/** npm's save types: `--save-prod`, `--save-dev`, `--save-optional`, `--save-peer` (optional peer: peerOptional). */
export type SaveType = 'prod' | 'dev' | 'optional' | 'peer' | 'peerOptional'

/** Something npm warns about while editing (a dependency moved from one map to another). */
export interface EditWarning {
  code: string
  message: string
}

/** A package spec as given on the command line (`name`, `name@range`, `alias@npm:name@range`). */
export interface PackageRequest {
  /**
   * The name in package.json (the alias for an alias); undefined for a folder, tarball, URL or git
   * repository given without `name@`: npm names it after the package's own package.json.
   */
  name: string | undefined
  /**
   * The spec after the name: `*` when none was given; for a folder, tarball, URL or git repository
   * the spec as written (`../lib`, `file:a.tgz`, `github:u/r#v1`; scp-like git as `git+ssh://…`).
   */
  spec: string
  /**
   * What the spec is: a range, an exact version, a dist-tag, an `npm:` alias of one of those; a
   * folder (`directory`), a tarball on disk (`file`), a tarball URL (`remote`), a git repository.
   */
  type: 'range' | 'version' | 'tag' | 'alias' | 'directory' | 'file' | 'remote' | 'git'
  /** The package installed: the name itself, or the alias's target; undefined as `name` may be. */
  packageName: string | undefined
}
