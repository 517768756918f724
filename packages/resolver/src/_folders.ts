import { type LockfilePackage, type ProjectManifest, ToteError } from '@tote/types'
import { isOutside, nameFromFolder } from './_local.js'
import type { OverrideSet } from './_overrides.js'
import { Node } from './_tree.js'
import type { ResolverDeps, WorkspaceManifest } from './types.js'

/**
 * The project's own folders in the tree: its workspaces, and the folders `file:`/`link:` specs point
 * to (npm's link targets). One node per folder, made on first use; each joins the tree when a link
 * to it is placed (workspaces at once, as npm loads them with the project).
 */
export class Folders {
  readonly #byPath = new Map<string, Promise<Node>>()
  readonly #known = new Map<string, Node>()
  /** Workspace nodes by package name. */
  readonly workspaces = new Map<string, Node>()

  constructor(
    readonly root: Node,
    readonly readPackage: ResolverDeps['readPackage'],
    readonly overrides: OverrideSet | undefined,
  ) {}

  /** Makes the workspace nodes and the root's workspace edges; a name used twice is `EDUPLICATEWORKSPACE`. */
  addWorkspaces(workspaces: readonly WorkspaceManifest[]): void {
    const paths = new Map<string, string>()
    for (const { path, manifest } of workspaces) {
      const name = typeof manifest.name === 'string' && manifest.name ? manifest.name : nameFromFolder(path)
      const other = paths.get(name)
      if (other !== undefined) {
        throw new ToteError(
          'EDUPLICATEWORKSPACE',
          `must not have multiple workspaces with the same name: ${name} is both ${other} and ${path}`,
          {
            hint: 'Rename one of the two packages, or leave one folder out of "workspaces".',
            details: { name, paths: [other, path] },
          },
        )
      }
      paths.set(name, path)
      const node = this.folderNode(path, manifest, true)
      this.root.attachFolder(node)
      this.workspaces.set(name, node)
      this.remember(path, node)
    }
    this.root.setWorkspaces(paths)
  }

  /** The node of a workspace's or a folder's path, if there is one already. */
  known(path: string): Node | undefined {
    return this.#known.get(path)
  }

  /** Adds the node of a folder (a workspace, or one loaded from a lockfile entry). */
  remember(path: string, node: Node): void {
    this.#known.set(path, node)
    this.#byPath.set(path, Promise.resolve(node))
  }

  /** The folders made so far, by path. */
  get all(): ReadonlyMap<string, Node> {
    return this.#known
  }

  /**
   * The node of the folder at `path` (relative to the project), its package.json read once. Not
   * attached: it joins the tree when a link to it is placed.
   */
  folder(path: string): Promise<Node> {
    let node = this.#byPath.get(path)
    if (!node) {
      node = this.#read(path).then((manifest) => {
        const made = this.folderNode(path, manifest, false)
        this.#known.set(path, made)
        return made
      })
      this.#byPath.set(path, node)
    }
    return node
  }

  async #read(path: string): Promise<ProjectManifest> {
    if (!this.readPackage) {
      throw new ToteError(
        'ENOLOCAL',
        `cannot read the folder ${path}: no way to read local folders was given`,
        {
          hint: 'Resolve with a readPackage dependency (tote install does).',
          details: { path },
        },
      )
    }
    return this.readPackage(path)
  }

  /** A folder node, not attached (see `folder`); `lockEntry`: the lockfile entry it was loaded from. */
  folderNode(
    path: string,
    manifest: ProjectManifest,
    isWorkspace: boolean,
    lockEntry?: LockfilePackage,
  ): Node {
    return new Node({
      ctx: this.root.ctx,
      name: nameFromFolder(path),
      pkg: manifest,
      fsPath: path,
      isWorkspace,
      ...(lockEntry ? { lockEntry } : {}),
      // a workspace's overrides are the root's (npm); so are those of the project's other folders
      overrides: isOutside(path) ? undefined : this.overrides,
    })
  }
}
