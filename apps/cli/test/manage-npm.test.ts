import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTestRegistry, type RegistryPackages } from '@tote/test-registry'
import { describe, expect, it } from 'vitest'
import { scratch, tote } from './_tote.js'

// npm as the oracle of add, remove and update: packages/package-json/test/npm-manage.json holds the
// bytes of package.json and package-lock.json that npm 11.19.1 left after each step of each case of
// manage-cases.json (`npm <args> --ignore-scripts --no-audit --no-fund --no-update-notifier` against
// @tote/test-registry, registry URL replaced by `{registry}`; re-derived by
// packages/package-json/test/derive-npm-manage.mjs). tote runs the same steps with the same arguments
// (`install <spec>`, `uninstall`, `remove`, `un`, `update`), and must leave the same bytes; then
// `tote ls --all --json` and `tote outdated --json` must print what npm's did (npm ls --all --json,
// npm outdated --json, recorded after the last step).

interface Step {
  args?: string[]
  publish?: RegistryPackages
}
interface Case {
  name: string
  packageJson: string
  npmrc?: string
  steps: Step[]
}
interface Recorded {
  exit?: number
  publish?: boolean
  packageJson?: string | null
  lockfile?: string | null
}

const here = new URL('../../../packages/package-json/test/', import.meta.url)
const { packages, cases } = JSON.parse(readFileSync(new URL('manage-cases.json', here), 'utf8')) as {
  packages: RegistryPackages
  cases: Case[]
}
const recorded = JSON.parse(readFileSync(new URL('npm-manage.json', here), 'utf8')) as {
  flags: string[]
  results: Record<
    string,
    { steps: Recorded[]; ls: unknown; outdated?: { exit: number; json: Record<string, unknown> } }
  >
}

const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : null)

describe("package.json and package-lock.json, byte for byte as npm's", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const registry = await createTestRegistry({ packages })
      try {
        const project = scratch(c.packageJson)
        writeFileSync(join(project.dir, '.npmrc'), c.npmrc ?? '')
        const npmSteps = recorded.results[c.name]!.steps
        for (const [index, step] of c.steps.entries()) {
          if (step.publish) {
            registry.addPackages(step.publish)
            continue
          }
          const run = await tote([...step.args!, ...recorded.flags], {
            ...project,
            cwd: project.dir,
            registry: registry.url,
          })
          const npm = npmSteps[index]!
          const what = `${c.name}, step ${index}: ${step.args!.join(' ')}\n${run.stderr}`
          expect(run.code, what).toBe(npm.exit)
          expect(read(join(project.dir, 'package.json')), what).toBe(npm.packageJson)
          expect(read(join(project.dir, 'package-lock.json')), what).toBe(
            npm.lockfile?.split('{registry}').join(registry.url) ?? null,
          )
        }
        // the installed tree as npm ls --all --json shows it
        const options = { ...project, cwd: project.dir, registry: registry.url }
        const ls = await tote(['ls', '--all', '--json'], options)
        const npmLs = JSON.stringify(recorded.results[c.name]!.ls).split('{registry}').join(registry.url)
        expect(JSON.parse(ls.stdout), `${c.name}: tote ls --all --json\n${ls.stderr}`).toEqual(
          JSON.parse(npmLs),
        )
        const outdated = recorded.results[c.name]!.outdated
        if (outdated) {
          const run = await tote(['outdated', '--json'], options)
          expect(run.code, `${c.name}: tote outdated --json\n${run.stderr}`).toBe(outdated.exit)
          const npmJson = JSON.stringify(outdated.json).split('{project}').join(project.dir)
          expect(JSON.parse(run.stdout)).toEqual(JSON.parse(npmJson))
        }
      } finally {
        await registry.close()
      }
    })
  }
})
