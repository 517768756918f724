import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '@tote/config'
import {
  type AllowScriptsMap,
  approvePackage,
  denyPackage,
  describeScripts,
  displayIdentity,
  isScriptAllowed,
  lockfileGraph,
  matchesPositional,
  nameKeyFor,
  type PolicyPackage,
  pruneEntries,
  readAllowScripts,
  readManifest,
  withAllowScripts,
  writeFileAtomic,
} from '@tote/scripts'
import { type Lockfile, ToteError } from '@tote/types'
import type { CommandContext } from '../_command-types.js'
import { usageError } from '../_errors.js'
import { configFlags } from '../_options.js'
import { createReporterFor, type Reporter } from '../_reporter.js'
import { type InstalledWithScripts, policyFor, SCRIPT_STATE, withScripts } from '../_scripts.js'
import { readTrustedTree } from '../_tree-state.js'

type Mode = 'approve' | 'deny' | 'list' | 'prune'

/**
 * `tote install-scripts approve|deny|ls|prune` (and `tote approve-scripts`, `tote deny-scripts`):
 * npm 11's command, over what node_modules holds, writing package.json#allowScripts as npm writes it.
 */
export async function run(context: CommandContext): Promise<number> {
  const { mode, args } = modeOf(context)
  const config = await loadConfig({ cwd: context.cwd, flags: configFlags(context) })
  const reporter = createReporterFor(config)
  const json = config.get('json') === true
  const out = (line = '') => {
    if (reporter.level !== 'silent') process.stdout.write(`${line}\n`)
  }
  const pkgPath = join(config.projectDir, 'package.json')
  const { text, allowScripts: existing } = readAllowScripts(pkgPath)
  const manifest = JSON.parse(text.replace(/^\uFEFF/, '')) as Record<string, unknown>
  const installed = await installedPackages(config.projectDir, manifest)
  const all = context.values.all === true || config.get('all') === true

  if (mode === 'prune') {
    if (args.length > 0 || all) {
      throw usageError(
        'EUSAGE',
        '`tote install-scripts prune` cannot be combined with positional arguments or `--all`.',
        'Run `tote install-scripts prune`.',
      )
    }
    const dryRun = context.values['dry-run'] === true || config.get('dry-run') === true
    let removed: ReturnType<typeof pruneEntries>['removed'] = []
    if (Object.keys(existing).length > 0) {
      const pruned = pruneEntries(
        existing,
        installed.map((pkg) => ({ pkg: pkg.policy, hasScripts: pkg.scripts !== undefined })),
      )
      removed = pruned.removed
      if (removed.length > 0 && !dryRun) {
        const next = withAllowScripts(
          text,
          Object.keys(pruned.remaining).length > 0 ? pruned.remaining : undefined,
        )
        if (next !== undefined) writeFileAtomic(pkgPath, next)
      }
    }
    if (json) out(JSON.stringify({ allowScripts: { removed, dryRun } }, null, 2))
    else if (removed.length === 0) out('No unused allowScripts entries.')
    else {
      out(
        `${dryRun ? 'Would remove' : 'Removed'} ${removed.length} unused allowScripts ${removed.length === 1 ? 'entry' : 'entries'}:`,
      )
      for (const { key, reason } of removed) {
        out(`  ${key} (${reason === 'not-installed' ? 'package not installed' : 'no install scripts'})`)
      }
    }
    return 0
  }

  if (mode === 'list' && (args.length > 0 || all)) {
    const what =
      context.command === 'install-scripts' ? '`tote install-scripts ls`' : '`--allow-scripts-pending`'
    throw usageError(
      'EUSAGE',
      `${what} cannot be combined with positional arguments or \`--all\`.`,
      'Run `tote install-scripts ls`.',
    )
  }
  if (mode !== 'list' && !all && args.length === 0) {
    throw usageError(
      'EUSAGE',
      `tote ${context.command} wants package names, or --all.`,
      `Run \`tote install-scripts ${mode} <pkg>\`.`,
    )
  }
  const policy = policyFor(config, manifest, reporter)
  const unreviewed = policy.dangerouslyAllowAllScripts
    ? []
    : installed.filter(
        (pkg): pkg is Installed & { scripts: InstalledWithScripts } =>
          pkg.scripts !== undefined &&
          !pkg.policy.inBundle &&
          isScriptAllowed(pkg.policy, policy.entries) === null,
      )

  if (mode === 'list') {
    if (json) {
      out(JSON.stringify({ allowScripts: pendingSummary(unreviewed) }, null, 2))
      return 0
    }
    if (unreviewed.length === 0) {
      out('No packages with unreviewed install scripts.')
      return 0
    }
    const count = unreviewed.length
    out(
      `${count} ${count === 1 ? 'package' : 'packages'} ${count === 1 ? 'has' : 'have'} install scripts not yet covered by allowScripts:`,
    )
    for (const pkg of unreviewed) out(`  ${pkg.scripts.label} (${describeScripts(pkg.scripts.scripts)})`)
    out()
    out('Run `tote install-scripts approve <pkg>` to allow, or `tote install-scripts deny <pkg>` to deny.')
    return 0
  }

  let chosen: Installed[]
  if (all) {
    if (unreviewed.length === 0) {
      out(
        json ? JSON.stringify({ allowScripts: [] }, null, 2) : 'No packages with unreviewed install scripts.',
      )
      return 0
    }
    chosen = unreviewed
  } else {
    const unmatched: string[] = []
    chosen = []
    for (const arg of args) {
      const found = installed.filter((pkg) => !pkg.policy.inBundle && matchesPositional(arg, pkg.display))
      if (found.length === 0) unmatched.push(arg)
      chosen.push(...found)
    }
    if (unmatched.length > 0) {
      throw new ToteError('ENOMATCH', `No installed packages match: ${unmatched.join(', ')}`, {
        hint: 'Name packages that are in node_modules (run `tote install` first); `tote install-scripts ls` lists those with unreviewed scripts.',
        details: { unmatched },
      })
    }
  }
  const groups = new Map<string, PolicyPackage[]>()
  for (const pkg of chosen) {
    const key = nameKeyFor(pkg.policy)
    if (!key) {
      reporter.warn({
        code: 'ENOTRUSTEDNAME',
        message: `skipping ${pkg.display.name || '<unknown>'}: no trusted identity for policy key`,
      })
      continue
    }
    if (!groups.has(key)) groups.set(key, [])
    groups.get(key)!.push(pkg.policy)
  }
  if (groups.size === 0) {
    throw new ToteError('ENOMATCH', `No installed packages match: ${args.join(', ')}`, {
      hint: 'Only packages from a registry (or a tarball URL) can be approved.',
    })
  }
  const pin = config.get('allow-scripts-pin') !== false
  let updated: AllowScriptsMap = existing
  const summary: { name: string; changes: { key: string; change: string }[] }[] = []
  for (const [name, packages] of groups) {
    const edit =
      mode === 'approve' ? approvePackage(updated, packages, { pin }) : denyPackage(updated, packages)
    if (edit.warning) reporter.warn({ code: 'EALLOWSCRIPTSDENIED', message: edit.warning })
    updated = edit.allowScripts
    summary.push({ name, changes: edit.changes })
  }
  const next = withAllowScripts(text, updated)
  if (next !== undefined) writeFileAtomic(pkgPath, next)
  if (json) {
    out(JSON.stringify({ allowScripts: summary }, null, 2))
    return 0
  }
  const verb = mode === 'approve' ? 'Approved' : 'Denied'
  let touched = 0
  for (const { name, changes } of summary) {
    if (changes.length === 0) continue
    touched++
    out(`${verb} ${name}:`)
    for (const { key, change } of changes) out(`  ${change} ${key}`)
  }
  if (touched === 0) out(`Nothing to ${mode}; allowScripts unchanged.`)
  else if (mode === 'approve') hintPending(config.projectDir, chosen, reporter)
  return 0
}

function modeOf(context: CommandContext): { mode: Mode; args: string[] } {
  if (context.command === 'approve-scripts') {
    return {
      mode: context.values['allow-scripts-pending'] === true ? 'list' : 'approve',
      args: context.positionals,
    }
  }
  if (context.command === 'deny-scripts') return { mode: 'deny', args: context.positionals }
  const [sub, ...args] = context.positionals
  if (sub === 'approve' || sub === 'deny' || sub === 'prune') return { mode: sub, args }
  if (sub === 'ls' || sub === 'list') return { mode: 'list', args }
  throw usageError(
    'EUSAGE',
    sub === undefined
      ? 'tote install-scripts wants a subcommand.'
      : `\`${sub}\` is not a recognized subcommand.`,
    'Run `tote install-scripts approve <pkg>`, `deny <pkg>`, `ls` or `prune`.',
  )
}

interface Installed {
  path: string
  policy: PolicyPackage
  display: { name: string; version: string | null }
  scripts: InstalledWithScripts | undefined
}

/**
 * What node_modules holds (its hidden lockfile, with the project's own dependencies as the root's
 * edges), each package with its trusted identity and install scripts.
 */
async function installedPackages(
  projectDir: string,
  manifest: Record<string, unknown>,
): Promise<Installed[]> {
  const tree = await readTrustedTree(join(projectDir, 'node_modules'))
  if (!tree) return []
  const root = {
    dependencies: manifest.dependencies,
    devDependencies: manifest.devDependencies,
    optionalDependencies: manifest.optionalDependencies,
    peerDependencies: manifest.peerDependencies,
  } as Lockfile['packages'][string]
  const lockfile: Lockfile = { ...tree, packages: { ...tree.packages, '': root } }
  const graph = lockfileGraph(lockfile)
  return [...graph.values()]
    .sort((a, b) => a.path.localeCompare(b.path, 'en'))
    .map((node) => {
      const scripts = withScripts(projectDir, lockfile, graph, node.path)
      const own = scripts?.manifest ?? readManifest(join(projectDir, node.path)) ?? {}
      const folderName = node.path.slice(node.path.lastIndexOf('node_modules/') + 'node_modules/'.length)
      const display = displayIdentity(node.policy, {
        name: folderName,
        ...(typeof own.version === 'string' ? { version: own.version } : {}),
      })
      return { path: node.path, policy: node.policy, display, scripts }
    })
}

function pendingSummary(unreviewed: { display: { name: string; version: string | null } }[]) {
  const groups = new Map<string, { key: string; change: 'pending' }[]>()
  for (const { display } of unreviewed) {
    const name = display.name || '<unknown>'
    const key = display.version ? `${name}@${display.version}` : name
    if (!groups.has(name)) groups.set(name, [])
    groups.get(name)!.push({ key, change: 'pending' })
  }
  return [...groups].map(([name, changes]) => ({ name, changes }))
}

/** tote skips unreviewed scripts: say when an approval leaves some to run. */
function hintPending(projectDir: string, chosen: Installed[], reporter: Reporter): void {
  let pending: Record<string, unknown> = {}
  try {
    pending = (
      JSON.parse(readFileSync(join(projectDir, 'node_modules', SCRIPT_STATE), 'utf8')) as {
        pending: Record<string, unknown>
      }
    ).pending
  } catch {}
  if (chosen.some((pkg) => pkg.path in pending)) {
    reporter.info('Their install scripts have not run yet: the next `tote install` runs them.')
  }
}
