import { describe, expect, it } from 'vitest'
import {
  approvePackage,
  denyPackage,
  jsonLayout,
  type PolicyPackage,
  parsePositional,
  pruneEntries,
  withAllowScripts,
} from '../src/index.js'

// The "npm" texts below were written by npm 11.19.1 (`npm install-scripts approve|deny|prune`) in
// projects installed with `npm install --ignore-scripts` from the loopback test registry, with
// dep@1.0.0 (postinstall; depends on leaf@1.0.0), leaf@1.0.0 (preinstall, install, postinstall),
// other@1.0.0 and other@2.0.0 (postinstall) and plain@1.0.0 (no scripts). The package.json before
// and after each command is given byte for byte.

const registry = 'http://127.0.0.1:4873/'
const at = (name: string, version: string): PolicyPackage => ({
  path: `node_modules/${name}`,
  resolved: `${registry}${name}/-/${name}-${version}.tgz`,
  registry: true,
  edgeName: name,
})

/** npm's `approve`: the edit, then the write (none when the map is as it was). */
function approve(text: string, packages: PolicyPackage[], pin = true): string {
  const existing = (JSON.parse(text).allowScripts ?? {}) as Record<string, boolean>
  return withAllowScripts(text, approvePackage(existing, packages, { pin }).allowScripts) ?? text
}

function deny(text: string, packages: PolicyPackage[]): string {
  const existing = (JSON.parse(text).allowScripts ?? {}) as Record<string, boolean>
  return withAllowScripts(text, denyPackage(existing, packages).allowScripts) ?? text
}

describe('approve and deny write package.json as npm 11 does', () => {
  it('npm install-scripts approve dep: a pinned entry, appended', () => {
    const before =
      '{\n  "name": "p",\n  "version": "1.0.0",\n  "dependencies": {\n    "dep": "1.0.0",\n    "other": "1.0.0"\n  }\n}\n'
    const npm =
      '{\n  "name": "p",\n  "version": "1.0.0",\n  "dependencies": {\n    "dep": "1.0.0",\n    "other": "1.0.0"\n  },\n  "allowScripts": {\n    "dep@1.0.0": true\n  }\n}\n'
    expect(approve(before, [at('dep', '1.0.0')])).toBe(npm)
  })

  it('npm install-scripts approve other --no-allow-scripts-pin: four spaces and CRLF kept', () => {
    const before =
      '{\r\n    "name": "p",\r\n    "dependencies": {\r\n        "other": "1.0.0"\r\n    }\r\n}\r\n'
    const npm =
      '{\r\n    "name": "p",\r\n    "dependencies": {\r\n        "other": "1.0.0"\r\n    },\r\n    "allowScripts": {\r\n        "other": true\r\n    }\r\n}\r\n'
    expect(approve(before, [at('other', '1.0.0')], false)).toBe(npm)
  })

  it('npm install-scripts deny leaf: tabs kept', () => {
    const before = '{\n\t"name": "p",\n\t"dependencies": {\n\t\t"dep": "1.0.0"\n\t}\n}\n'
    const npm =
      '{\n\t"name": "p",\n\t"dependencies": {\n\t\t"dep": "1.0.0"\n\t},\n\t"allowScripts": {\n\t\t"leaf": false\n\t}\n}\n'
    expect(deny(before, [at('leaf', '1.0.0')])).toBe(npm)
  })

  it('npm install-scripts approve other: a minified file stays minified, without a final newline', () => {
    const before = '{"name":"p","dependencies":{"other":"1.0.0"}}'
    const npm = '{"name":"p","dependencies":{"other":"1.0.0"},"allowScripts":{"other@1.0.0":true}}'
    expect(jsonLayout(before)).toEqual({ indent: '', newline: '' })
    expect(approve(before, [at('other', '1.0.0')])).toBe(npm)
  })

  it('approve dep, then approve leaf (denied): the field stays where it was, the denial wins', () => {
    const before =
      '{\n  "name": "p",\n  "allowScripts": {\n    "leaf": false\n  },\n  "dependencies": {\n    "dep": "1.0.0"\n  },\n  "private": true\n}\n'
    const npm =
      '{\n  "name": "p",\n  "allowScripts": {\n    "leaf": false,\n    "dep@1.0.0": true\n  },\n  "dependencies": {\n    "dep": "1.0.0"\n  },\n  "private": true\n}\n'
    const after = approve(before, [at('dep', '1.0.0')])
    expect(after).toBe(npm)
    const refused = approvePackage({ leaf: false, 'dep@1.0.0': true }, [at('leaf', '1.0.0')])
    // npm: "npm warn install-scripts leaf is denied; remove the entry from allowScripts to approve leaf."
    expect(refused.warning).toBe('leaf is denied; remove the entry from allowScripts to approve leaf.')
    expect(refused.changes).toEqual([])
    expect(approve(after, [at('leaf', '1.0.0')])).toBe(npm)
  })

  it('approve other after an upgrade: the stale pin goes (removed-stale other@1.0.0, added other@2.0.0)', () => {
    const before =
      '{\n  "name": "p",\n  "dependencies": {\n    "other": "2.0.0"\n  },\n  "allowScripts": {\n    "other@1.0.0": true\n  }\n}\n'
    const npm =
      '{\n  "name": "p",\n  "dependencies": {\n    "other": "2.0.0"\n  },\n  "allowScripts": {\n    "other@2.0.0": true\n  }\n}\n'
    expect(approvePackage({ 'other@1.0.0': true }, [at('other', '2.0.0')]).changes).toEqual([
      { key: 'other@1.0.0', change: 'removed-stale' },
      { key: 'other@2.0.0', change: 'added' },
    ])
    expect(approve(before, [at('other', '2.0.0')])).toBe(npm)
  })

  it('approve other over a name-only entry: added other@1.0.0, replaced-by-pin other', () => {
    const before =
      '{\n  "name": "p",\n  "dependencies": {\n    "other": "1.0.0"\n  },\n  "allowScripts": {\n    "other": true\n  }\n}\n'
    const npm =
      '{\n  "name": "p",\n  "dependencies": {\n    "other": "1.0.0"\n  },\n  "allowScripts": {\n    "other@1.0.0": true\n  }\n}\n'
    expect(approvePackage({ other: true }, [at('other', '1.0.0')]).changes).toEqual([
      { key: 'other@1.0.0', change: 'added' },
      { key: 'other', change: 'replaced-by-pin' },
    ])
    expect(approve(before, [at('other', '1.0.0')])).toBe(npm)
  })

  it('deny dep over its pin: removed-pinned-allow dep@1.0.0, added dep', () => {
    const edit = denyPackage({ leaf: false, 'dep@1.0.0': true }, [at('dep', '1.0.0')])
    expect(edit.changes).toEqual([
      { key: 'dep@1.0.0', change: 'removed-pinned-allow' },
      { key: 'dep', change: 'added' },
    ])
    expect(edit.allowScripts).toEqual({ leaf: false, dep: false })
    expect(denyPackage(edit.allowScripts, [at('dep', '1.0.0')]).changes).toEqual([])
  })

  it('approves by name when the lockfile has no resolved URL', () => {
    const edit = approvePackage({ 'a@1.0.0': true }, [
      { path: 'node_modules/a', registry: true, edgeName: 'a' },
    ])
    expect(edit.allowScripts).toEqual({ a: true })
    expect(edit.warning).toMatch(/approved by name \(all versions\)/)
  })

  it('reads positionals as npm: a name, or a name and a range that narrows it', () => {
    expect(parsePositional('dep')).toEqual({ name: 'dep', range: null })
    expect(parsePositional('other@^1')).toEqual({ name: 'other', range: '^1' })
    expect(parsePositional('@s/x@1.0.0')).toEqual({ name: '@s/x', range: '1.0.0' })
  })
})

describe('prune writes package.json as npm 11 does', () => {
  it('npm install-scripts prune: gone (package not installed), plain (no install scripts)', () => {
    const before =
      '{\n  "name": "p",\n  "dependencies": {\n    "dep": "1.0.0",\n    "plain": "1.0.0"\n  },\n  "allowScripts": {\n    "dep@1.0.0": true,\n    "gone": true,\n    "plain": false,\n    "leaf": false,\n    "not a valid key!": true\n  }\n}\n'
    const npm =
      '{\n  "name": "p",\n  "dependencies": {\n    "dep": "1.0.0",\n    "plain": "1.0.0"\n  },\n  "allowScripts": {\n    "dep@1.0.0": true,\n    "leaf": false,\n    "not a valid key!": true\n  }\n}\n'
    const { remaining, removed } = pruneEntries(JSON.parse(before).allowScripts, [
      { pkg: at('dep', '1.0.0'), hasScripts: true },
      { pkg: at('leaf', '1.0.0'), hasScripts: true },
      { pkg: at('plain', '1.0.0'), hasScripts: false },
    ])
    expect(removed).toEqual([
      { key: 'gone', value: true, reason: 'not-installed' },
      { key: 'plain', value: false, reason: 'no-scripts' },
    ])
    expect(withAllowScripts(before, remaining)).toBe(npm)
  })

  it('npm install-scripts prune of the last entry: the field goes', () => {
    const before =
      '{\n  "name": "p",\n  "dependencies": {\n    "plain": "1.0.0"\n  },\n  "allowScripts": {\n    "gone@1.0.0": true\n  }\n}\n'
    const npm = '{\n  "name": "p",\n  "dependencies": {\n    "plain": "1.0.0"\n  }\n}\n'
    const { remaining } = pruneEntries({ 'gone@1.0.0': true }, [
      { pkg: at('plain', '1.0.0'), hasScripts: false },
    ])
    expect(remaining).toEqual({})
    expect(withAllowScripts(before, undefined)).toBe(npm)
  })

  it('writes nothing when the text would not change', () => {
    const text = '{\n  "name": "p",\n  "allowScripts": {\n    "a": true\n  }\n}\n'
    expect(withAllowScripts(text, { a: true })).toBeUndefined()
  })
})
