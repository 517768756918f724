import { ToteError } from '@tote/types'
import semver from 'semver'
import { parseSpec } from './_spec.js'

/**
 * npm `overrides` as a tree of rule sets (npm's OverrideSet). The root set holds the top-level rules;
 * a rule (`"name@range": value` or `"name": { ".": value, child: … }`) is itself a set whose children
 * apply only inside the subtree of the package it matched. A set's rules are its children and those of
 * its ancestors, the nearest first.
 */
export class OverrideSet {
  readonly parent: OverrideSet | undefined
  readonly children = new Map<string, OverrideSet>()
  /** Package name the rule is for (undefined for the root set). */
  readonly name: string | undefined
  readonly key: string | undefined
  /** The range part of the key (`*` when the key is a bare name). */
  readonly keySpec: string | undefined
  /** The replacement spec (the key's range when the rule only has children). */
  readonly value: string | undefined
  #ruleset: Map<string, OverrideSet> | undefined

  constructor(overrides: unknown, key?: string, parent?: OverrideSet) {
    this.parent = parent
    const object: Record<string, unknown> =
      typeof overrides === 'string'
        ? { '.': overrides }
        : overrides && typeof overrides === 'object'
          ? (overrides as Record<string, unknown>)
          : {}
    if (parent && key !== undefined) {
      const at = key.indexOf('@', key.startsWith('@') ? 1 : 0)
      this.name = at === -1 ? key : key.slice(0, at)
      this.key = key
      this.keySpec = at === -1 || key.slice(at + 1) === '' ? '*' : key.slice(at + 1)
      const own = object['.']
      this.value = own === '' ? '*' : typeof own === 'string' ? own : this.keySpec
    } else {
      this.name = undefined
      this.key = undefined
      this.keySpec = undefined
      this.value = undefined
    }
    for (const [childKey, childValue] of Object.entries(object)) {
      if (childKey === '.') continue
      this.children.set(childKey, new OverrideSet(childValue, childKey, this))
    }
  }

  /** Rules visible from this set, nearest first (npm's `ruleset`). */
  get ruleset(): Map<string, OverrideSet> {
    if (!this.#ruleset) {
      const rules = new Map<string, OverrideSet>()
      for (let set: OverrideSet | undefined = this; set; set = set.parent) {
        for (const kid of set.children.values()) if (kid.key && !rules.has(kid.key)) rules.set(kid.key, kid)
        if (set.parent && set.key && !rules.has(set.key)) rules.set(set.key, set)
      }
      this.#ruleset = rules
    }
    return this.#ruleset
  }

  /** The rule that applies to a dependency `name@rawSpec` declared inside this set's scope, or this set. */
  edgeRule(name: string, rawSpec: string): OverrideSet {
    for (const rule of this.ruleset.values()) {
      if (rule.name !== name) continue
      if (rule.keySpec === '*') return rule
      const parsed = parseSpec(name, rawSpec)
      if (parsed.type === 'range' || parsed.type === 'version') {
        const range = parsed.type === 'range' ? parsed.range : parsed.version
        if (intersects(range, rule.keySpec ?? '*')) return rule
        continue
      }
      // tags, git and file specs cannot be compared: npm applies the override.
      return rule
    }
    return this
  }

  /** Every rule in the tree (for prefetching the specs overrides may ask for). */
  *allRules(): Generator<OverrideSet> {
    for (const kid of this.children.values()) {
      yield kid
      yield* kid.allRules()
    }
  }
}

function intersects(a: string, b: string): boolean {
  try {
    return semver.intersects(a, b, { loose: true })
  } catch {
    return false
  }
}

/** The spec an edge uses under `rule`: the override value (a `$name` resolved from the root), else its own. */
export function overriddenSpec(
  rule: OverrideSet | undefined,
  name: string,
  rawSpec: string,
  rootPkg: { [field: string]: unknown },
): string {
  if (!rule?.value || rule.value === '*' || rule.name !== name) return rawSpec
  if (!rule.value.startsWith('$')) return rule.value
  const ref = rule.value.slice(1)
  const spec = referencedSpec(rootPkg, ref)
  if (spec === undefined) {
    throw new ToteError(
      'EOVERRIDE',
      `Override for ${name} references $${ref}, which the project does not depend on`,
      {
        hint: `Add ${ref} to the project's dependencies, or give the override a version.`,
        details: { name, reference: ref },
      },
    )
  }
  return spec
}

/** npm's order for `$name` references: devDependencies, optionalDependencies, dependencies, peerDependencies. */
export function referencedSpec(pkg: { [field: string]: unknown }, ref: string): string | undefined {
  for (const field of ['devDependencies', 'optionalDependencies', 'dependencies', 'peerDependencies']) {
    const map = pkg[field] as Record<string, string> | undefined
    const spec = map?.[ref]
    if (typeof spec === 'string' && spec !== '') return spec
  }
  return undefined
}
