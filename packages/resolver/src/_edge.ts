import { splitResolved } from './_git.js'
import { copiedFrom, folderOf, linkedUnderInstallLinks, localPath } from './_local.js'
import type { OverrideSet } from './_overrides.js'
import { overriddenSpec } from './_overrides.js'
import { satisfies } from './_semver.js'
import { type ParsedSpec, parseSpec } from './_spec.js'
import type { EdgeType, Node } from './_tree.js'

export class Edge {
  readonly spec: string
  readonly parsed: ParsedSpec
  peerConflicted = false

  constructor(
    readonly from: Node,
    readonly name: string,
    readonly rawSpec: string,
    readonly type: EdgeType,
    readonly overrides: OverrideSet | undefined,
  ) {
    this.spec = overriddenSpec(overrides, name, rawSpec, from.ctx.rootPkg)
    this.parsed = parseSpec(name, this.spec)
  }

  get peer(): boolean {
    return this.type === 'peer' || this.type === 'peerOptional'
  }

  get optional(): boolean {
    return this.type === 'optional' || this.type === 'peerOptional'
  }

  get dev(): boolean {
    return this.type === 'dev'
  }

  get to(): Node | null {
    return this.from.resolve(this.name)
  }

  get valid(): boolean {
    const to = this.to
    if (!to) return this.optional
    if (this.peer && this.from === to.parent && !this.from.isTop) return false
    return this.satisfiedBy(to)
  }

  satisfiedBy(node: Node): boolean {
    if (node.name !== this.name) return false
    const rule = this.overrides
    if (!rule?.keySpec) return depValid(node, this.parsed, this.from)
    if (depValid(node, this.parsed, this.from)) return true
    if (!depValid(node, parseSpec(this.name, this.rawSpec), this.from)) return false
    return !depValid(node, parseSpec(this.name, rule.keySpec), this.from)
  }
}

/**
 * npm's dep-valid: does `node` satisfy `spec`, declared by `from`? A folder spec wants a link to
 * that folder (`from` says where the spec's path starts); a tarball wants what that tarball
 * resolved to; a workspace spec, a link to the workspace of that name, its version in the range.
 */
export function depValid(node: Node, spec: ParsedSpec, from?: Node): boolean {
  if (node.error) return false
  switch (spec.type) {
    case 'directory': {
      if (!from) return false
      const path = localPath(folderOf(from), spec.path, from.ctx.projectDir)
      // install-links (npm's linkValid): a copy of the folder, or the link npm makes all the same
      // (to a workspace, `link:`, `file:./…` inside the project)
      if (from.ctx.installLinks) {
        if (!node.linkTarget) return path !== undefined && node.source === `file:${path}`
        if (copiedFrom(from.sourceReference ?? from) !== undefined) return false
        if (!node.linkTarget.isWorkspace && !linkedUnderInstallLinks(spec, path)) return false
      }
      if (!node.linkTarget) return false
      return node.linkTarget.location === path
    }
    case 'workspace': {
      const target = node.linkTarget
      if (!target?.isWorkspace || target.packageName !== spec.name) return false
      return spec.range === '*' || satisfies(target.version, spec.range)
    }
    case 'file': {
      if (!from || node.linkTarget) return false
      const path = localPath(folderOf(from), spec.path, from.ctx.projectDir)
      return path !== undefined && node.source === `file:${path}`
    }
    case 'remote':
      return !node.linkTarget && node.source === spec.url
    case 'git': {
      // npm's dep-valid: the same repository; a commit, or a semver range, must still be met
      const source = node.source
      if (node.linkTarget || !source) return false
      const { base, commit } = splitResolved(source)
      if (base !== spec.git.base) return false
      const wanted = spec.git.committish
      if (wanted && /^[0-9a-f]{40}$/i.test(wanted)) return commit === wanted.toLowerCase()
      return spec.git.range === undefined || satisfies(node.version, spec.git.range)
    }
    default:
      break
  }
  if (node.packageName !== spec.name) return false
  switch (spec.type) {
    case 'range':
      return spec.range === '*' || satisfies(node.version, spec.range)
    case 'version':
      return satisfies(node.version, spec.version)
    case 'tag':
      return true
    default:
      return false
  }
}
