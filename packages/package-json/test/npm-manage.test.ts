import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  addDependencies,
  applyDependencies,
  dependencyMaps,
  inferSaveType,
  packageJsonText,
  parsePackageJson,
  parsePackageRequest,
  removeDependencies,
  SAVE_TYPE_FIELDS,
  type SaveType,
  savedSpec,
  setSavedSpec,
} from '../src/index.js'

// npm as the oracle: npm-manage.json holds the package.json bytes npm 11.19.1 left after each step of
// each case of manage-cases.json (`npm <args> --ignore-scripts --no-audit --no-fund
// --no-update-notifier` against @tote/test-registry; re-derive with `node test/derive-npm-manage.mjs`).
// Here each `install <spec>` and `uninstall` step is replayed with this package's functions alone,
// the installed versions taken from the lockfile npm wrote in that step: the bytes must be npm's.
// (`update` steps are the CLI's; their result is taken as the next step's start.)

interface Case {
  name: string
  packageJson: string
  npmrc?: string
  steps: { args?: string[] }[]
}
const { cases } = JSON.parse(readFileSync(new URL('./manage-cases.json', import.meta.url), 'utf8')) as {
  cases: Case[]
}
const recorded = JSON.parse(readFileSync(new URL('./npm-manage.json', import.meta.url), 'utf8')) as {
  results: Record<string, { steps: { packageJson?: string; lockfile?: string }[] }>
}

const FLAG_TYPES: Record<string, SaveType> = {
  '-D': 'dev',
  '-O': 'optional',
  '--save-peer': 'peer',
  '--save-prod': 'prod',
}

/** One `npm install <specs>` step: package.json's text after it, given the versions npm installed. */
function install(text: string, args: string[], npmrc: string, lockfile: string): string {
  const file = parsePackageJson(text)
  const saveType = args.map((arg) => FLAG_TYPES[arg]).find((type) => type !== undefined)
  const exact = args.includes('-E') || npmrc.includes('save-exact=true')
  const savePrefix = exact ? '' : (/save-prefix=(.*)/.exec(npmrc)?.[1] ?? '^')
  // registry specs all: each has its name
  const requests = args
    .filter((arg) => !arg.startsWith('-'))
    .map(parsePackageRequest)
    .map(({ name, spec }) => ({ name: name!, spec }))
  const maps = dependencyMaps(file.content)
  addDependencies(maps, requests, { saveType })
  const packages = (JSON.parse(lockfile) as { packages: Record<string, { name?: string; version: string }> })
    .packages
  const final = structuredClone(maps)
  for (const { name } of requests) {
    const entry = packages[`node_modules/${name}`]!
    const spec = maps[SAVE_TYPE_FIELDS[saveType ?? inferSaveType(maps, name)]]![name]!
    const saved = savedSpec({
      name,
      spec,
      packageName: entry.name ?? name,
      version: entry.version,
      savePrefix,
    })
    setSavedSpec(final, name, saved, saveType)
  }
  return packageJsonText(file, applyDependencies(file.content, final)) ?? text
}

function uninstall(text: string, names: string[]): string {
  const file = parsePackageJson(text)
  const maps = dependencyMaps(file.content)
  removeDependencies(maps, names)
  return packageJsonText(file, applyDependencies(file.content, maps)) ?? text
}

describe("package.json edits, byte for byte as npm's", () => {
  for (const c of cases) {
    const steps = c.steps.map((step, index) => ({ step, index })).filter(({ step }) => step.args)
    const edits = steps.filter(({ step }) =>
      ['install', 'i', 'uninstall', 'un', 'remove'].includes(step.args![0]!),
    )
    if (edits.length === 0) continue
    it(c.name, () => {
      let text = c.packageJson
      const npm = recorded.results[c.name]!.steps
      for (const { step, index } of c.steps.map((step, index) => ({ step, index }))) {
        const [command, ...rest] = step.args ?? []
        if (command === undefined) continue
        const specs = rest.filter((arg) => !arg.startsWith('--prefer'))
        if (command === 'install' || command === 'i') {
          if (specs.length > 0) text = install(text, specs, c.npmrc ?? '', npm[index]!.lockfile!)
        } else if (command === 'uninstall' || command === 'un' || command === 'remove') {
          text = uninstall(text, specs)
        } else {
          // update is the CLI's (its saved specs are tested there): its result is the next start
          text = npm[index]!.packageJson!
          continue
        }
        expect(text, `${c.name}, step ${index}: ${step.args!.join(' ')}`).toBe(npm[index]!.packageJson)
      }
    })
  }
})
