import { randomBytes } from 'node:crypto'
import { chmod, copyFile, mkdir, readlink, rename, stat, symlink, unlink } from 'node:fs/promises'
import { join, posix } from 'node:path'
import { isInstallPathInside, type StageWarning } from '@tote/types'
import type { BinPackage, LinkBinsOptions, LinkBinsResult, LinkedBin } from './types.js'

interface PlannedBin {
  pkg: BinPackage
  /** File inside the package, normalised (`bin/cli.js`). */
  file: string
  /** Symlink text, relative to the `.bin` folder (`../a/bin/cli.js`). */
  linkTarget: string
}

/**
 * Links every package's bins into the `.bin` folder of the node_modules that holds the package,
 * as npm does: relative symlinks, targets made executable.
 */
export async function linkBins(options: LinkBinsOptions): Promise<LinkBinsResult> {
  const warn = (warning: StageWarning): void => options.onWarning?.(warning)
  const plan = planBins(options.packages, warn)
  const executable = new Map<string, Promise<void>>()
  const linked: LinkedBin[] = []

  await Promise.all(
    [...plan].map(async ([binDir, bins]) => {
      const binFolder = join(options.projectDir, binDir)
      await mkdir(binFolder, { recursive: true })
      for (const [name, bin] of bins) {
        const targetFile = join(options.projectDir, bin.pkg.path, bin.file)
        let making = executable.get(targetFile)
        if (making === undefined) {
          making = makeExecutable(targetFile)
          executable.set(targetFile, making)
        }
        try {
          await making
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
          warn({
            code: 'EBINTARGETMISSING',
            message: `Bin ${name} points to ${bin.file}, which ${bin.pkg.path} does not have (yet); linking it anyway.`,
            package: packageLabel(bin.pkg),
          })
        }
        const binPath = join(binFolder, name)
        if (await replaceLink(binPath, bin.linkTarget)) linked.push({ binPath, target: bin.linkTarget })
        else {
          warn({
            code: 'EBINLINK',
            message: `Could not link bin ${name}: ${binPath} exists and is not a link or file.`,
            package: packageLabel(bin.pkg),
          })
        }
      }
    }),
  )
  linked.sort((a, b) => compare(a.binPath, b.binPath))
  return { linked }
}

/**
 * Which package each `.bin` entry links to when `packages` are linked together, as linkBins decides
 * it: `node_modules/.bin/x` → `node_modules/a`. Refused names and targets are left out; where two
 * packages of one node_modules claim a name, the first by path owns it.
 */
export function binOwners(packages: readonly BinPackage[]): Map<string, string> {
  const owners = new Map<string, string>()
  for (const [binDir, bins] of planBins(packages, () => {})) {
    for (const [name, bin] of bins) owners.set(`${binDir}/${name}`, bin.pkg.path)
  }
  return owners
}

/** `.bin` folder (relative to the project) → bin name → what to link; refused entries become warnings. */
function planBins(
  packages: readonly BinPackage[],
  warn: (warning: StageWarning) => void,
): Map<string, Map<string, PlannedBin>> {
  const plan = new Map<string, Map<string, PlannedBin>>()
  // npm's choice between two packages of one folder claiming a name is deterministic: path order.
  const sorted = [...packages].sort((a, b) => compare(a.path, b.path))
  for (const pkg of sorted) {
    if (pkg.bin === undefined) continue
    const binDir = binDirOf(pkg.path)
    if (binDir === undefined) {
      warn({ code: 'EBINPATH', message: `Not linking bins of ${pkg.path}: not a node_modules install path.` })
      continue
    }
    for (const [name, target] of Object.entries(pkg.bin)) {
      if (!isSafeBinName(name)) {
        warn({
          code: 'EBINNAME',
          message: `Refused bin name ${JSON.stringify(name)} of ${pkg.path}: it could write outside .bin.`,
          package: packageLabel(pkg),
        })
        continue
      }
      const file = fileInsidePackage(target)
      if (file === undefined) {
        warn({
          code: 'EBINTARGET',
          message: `Refused bin ${name} of ${pkg.path}: target ${JSON.stringify(target)} is outside the package.`,
          package: packageLabel(pkg),
        })
        continue
      }
      let bins = plan.get(binDir)
      if (bins === undefined) {
        bins = new Map()
        plan.set(binDir, bins)
      }
      const taken = bins.get(name)
      if (taken !== undefined) {
        warn({
          code: 'EBINCONFLICT',
          message: `Bin ${name} of ${pkg.path} conflicts with ${taken.pkg.path}; keeping ${taken.pkg.path}'s.`,
          package: packageLabel(pkg),
        })
        continue
      }
      bins.set(name, { pkg, file, linkTarget: posix.relative(binDir, `${pkg.path}/${file}`) })
    }
  }
  return plan
}

/**
 * `node_modules/a` → `node_modules/.bin`, `node_modules/a/node_modules/@s/b` →
 * `node_modules/a/node_modules/.bin`; undefined for anything that is not an install path inside the
 * project (the lockfile's own rule, from @tote/types).
 */
export function binDirOf(installPath: string): string | undefined {
  const cut = installPath.lastIndexOf('node_modules/')
  if (cut === -1 || !isInstallPathInside(installPath)) return undefined
  return `${installPath.slice(0, cut)}node_modules/.bin`
}

/** A name that stays one entry inside `.bin` (no separators, no `..`, no drive on Windows). */
export function isSafeBinName(name: string): boolean {
  if (name === '' || name === '.' || name.includes('..') || /[/\\\0]/.test(name)) return false
  return !(process.platform === 'win32' && name.includes(':'))
}

/** The bin target as a normalised path inside the package, or undefined when it would leave it. */
export function fileInsidePackage(target: string): string | undefined {
  if (typeof target !== 'string' || target === '' || target.includes('\0')) return undefined
  // npm reads `\` in bin paths as a separator too (packages published from Windows).
  const slashed = target.replaceAll('\\', '/')
  if (slashed.startsWith('/') || /^[a-zA-Z]:/.test(slashed)) return undefined
  const file = posix.normalize(slashed)
  if (file === '.' || file === '..' || file.startsWith('../') || file.endsWith('/')) return undefined
  return file
}

/**
 * chmod +x, but never on a shared inode: a hard-linked target is the content cache's file (and
 * every other project's), so it gets a private copy first. The cache keeps the tarball's mode,
 * which its index and later copies rely on; one extra copy per bin without an x bit is cheap.
 */
async function makeExecutable(file: string): Promise<void> {
  const stats = await stat(file)
  const mode = (stats.mode & 0o777) | 0o111
  if ((stats.mode & 0o777) === mode) return
  if (stats.nlink <= 1) return chmod(file, mode)
  const temporary = `${file}.tote-${randomBytes(4).toString('hex')}`
  try {
    await copyFile(file, temporary)
    await chmod(temporary, mode)
    await rename(temporary, file)
  } catch (error) {
    await unlink(temporary).catch(() => {})
    throw error
  }
}

/** Points binPath at target, replacing a link or file (atomically); false when a folder is in the way. */
async function replaceLink(binPath: string, target: string): Promise<boolean> {
  const current = await readlink(binPath).catch(() => undefined)
  if (current === target) return true
  const temporary = `${binPath}.tote-${randomBytes(4).toString('hex')}`
  await symlink(target, temporary)
  try {
    await rename(temporary, binPath)
    return true
  } catch (error) {
    await unlink(temporary).catch(() => {})
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') return false
    throw error
  }
}

function packageLabel(pkg: BinPackage): string {
  return pkg.version === undefined ? pkg.name : `${pkg.name}@${pkg.version}`
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
