import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { isFile, NODE_GYP_REBUILD } from './_run.js'
import type { InstallScripts, ScriptManifest } from './types.js'

/** The events npm runs for an installed dependency, in its order. */
export const DEPENDENCY_EVENTS = ['preinstall', 'install', 'postinstall'] as const

/** The events npm runs for the project itself after `npm install` (no arguments) and `npm ci`. */
export const PROJECT_EVENTS = [
  'preinstall',
  'install',
  'postinstall',
  'prepublish',
  'preprepare',
  'prepare',
  'postprepare',
] as const

/**
 * A package's install scripts as npm lists them (arborist's install-scripts.js): preinstall,
 * install, postinstall; prepare for a package that does not come from a registry; and npm's
 * implicit `node-gyp rebuild` as install when the folder has a binding.gyp and the package has no
 * install or preinstall script and does not say `gypfile: false`.
 */
export function installScriptsOf(
  dir: string,
  manifest: ScriptManifest,
  options: { registry: boolean },
): InstallScripts {
  const scripts = (manifest.scripts ?? {}) as Record<string, unknown>
  const found: InstallScripts = {}
  for (const event of ['preinstall', 'install', 'postinstall'] as const) {
    const script = scripts[event]
    if (typeof script === 'string' && script !== '') found[event] = script
  }
  if (!options.registry && typeof scripts.prepare === 'string' && scripts.prepare !== '') {
    found.prepare = scripts.prepare
  }
  if (!found.preinstall && !found.install && manifest.gypfile !== false && isFile(join(dir, 'binding.gyp'))) {
    found.install = NODE_GYP_REBUILD
  }
  return found
}

/**
 * The install scripts that run for an installed dependency, in order. `prepare` is listed by
 * {@link installScriptsOf} for non-registry packages but runs only when npm packs a git or folder
 * source, which tote does not install: it is left out here, as npm leaves it out for a tarball.
 */
export function dependencyRunList(scripts: InstallScripts): { event: string; script: string }[] {
  return DEPENDENCY_EVENTS.flatMap((event) => (scripts[event] ? [{ event, script: scripts[event]! }] : []))
}

/** The package.json of an installed package folder; undefined when it cannot be read. */
export function readManifest(dir: string): ScriptManifest | undefined {
  try {
    const data: unknown = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8').replace(/^\uFEFF/, ''))
    return data !== null && typeof data === 'object' && !Array.isArray(data)
      ? (data as ScriptManifest)
      : undefined
  } catch {
    return undefined
  }
}

/** `preinstall: echo a; install: node-gyp rebuild`: npm's way of naming a package's scripts. */
export function describeScripts(scripts: InstallScripts): string {
  return Object.entries(scripts)
    .map(([event, script]) => `${event}: ${script}`)
    .join('; ')
}
