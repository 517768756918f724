import * as nodeFs from 'node:fs'
import type { CachedPackage, StageWarning } from '@tote/types'
import { ToteError } from '@tote/types'
import type { CloneFs, CloneStrategy, ConcreteCloneStrategy } from './types.js'

const { COPYFILE_EXCL, COPYFILE_FICLONE_FORCE } = nodeFs.constants

/**
 * What the engine knows about one way of placing files on the current filesystem pair:
 * `assumed` comes from the state file (trusted, but a failure on first use still downgrades),
 * `works`/`fails` from this run.
 */
export type Support = 'unknown' | 'assumed' | 'works' | 'fails'

export interface EngineState {
  reflink: Support
  hardlink: Support
}

/** Where a warning goes: to the call that raised it (see {@link CloneEngine.cloneSync}). */
export type Warn = (warning: StageWarning) => void

export interface CloneEngine {
  /** `warn` gets this call's warnings: each cause is warned once per engine, to the call it arose in. */
  cloneSync(source: CachedPackage, destDir: string, privateCopy: boolean, warn: Warn): void
  readonly state: EngineState
  effectiveStrategy(): ConcreteCloneStrategy | undefined
}

export const defaultCloneFs: CloneFs = {
  linkSync: nodeFs.linkSync,
  copyFileSync: nodeFs.copyFileSync,
  chmodSync: nodeFs.chmodSync,
  mkdirSync: nodeFs.mkdirSync,
  statSync: nodeFs.statSync,
}

/** errno codes with which a filesystem says "I cannot clone" (not "this file is broken"). */
const REFLINK_UNSUPPORTED = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOSYS', 'ENOTTY'])
/** errno codes with which a filesystem pair says "no hard links between us". */
const HARDLINK_UNSUPPORTED = new Set(['EXDEV', 'EPERM'])

/** A `..` segment, a leading `/`, a NUL: a file list that would write outside destDir. */
const UNSAFE_PATH = /(?:^|\/)\.\.(?:\/|$)|^\/|\0/

/**
 * Places packages' files with one strategy (or `auto`'s current choice), falling back per file.
 * Synchronous on purpose: one syscall per file is the whole cost, and sync calls avoid the libuv
 * thread pool's per-call overhead; parallelism comes from the scheduler's worker threads.
 */
export function createCloneEngine(options: { strategy: CloneStrategy; fs: CloneFs }): CloneEngine {
  const { strategy, fs } = options
  const state: EngineState = { reflink: strategy === 'auto' ? 'unknown' : 'fails', hardlink: 'unknown' }
  const warned = new Set<string>()

  function warnOnce(key: string, message: string, warn: Warn): void {
    if (warned.has(key)) return
    warned.add(key)
    warn({ code: 'ECLONEFALLBACK', message })
  }

  function errnoCode(error: unknown): string | undefined {
    return (error as NodeJS.ErrnoException | undefined)?.code
  }

  /** ENOENT while placing a file: the cache entry is damaged unless the source is actually there. */
  function missingSource(error: unknown, source: CachedPackage, file: string, destDir: string): Error {
    try {
      fs.statSync(`${source.dir}/${file}`)
      return error as Error
    } catch {
      return new ToteError(
        'ECACHEDAMAGED',
        `${file} is missing from the cached package ${source.integrity}`,
        {
          hint: 'The content cache entry is damaged; fetch the package again.',
          cause: error,
          details: { integrity: source.integrity, file, destDir },
        },
      )
    }
  }

  function notSupported(kind: 'reflink' | 'hardlink', error: unknown, from: string, to: string): ToteError {
    const code = errnoCode(error)
    const hint =
      kind === 'reflink'
        ? "This filesystem cannot clone files (copy-on-write needs e.g. btrfs, XFS with reflink, APFS); use strategy 'auto', 'hardlink' or 'copy'."
        : "The cache and the project are on different filesystems or the filesystem refuses hard links; use strategy 'auto' or 'copy', or move the cache next to the project."
    return new ToteError('ECLONENOTSUP', `Cannot ${kind} ${from} to ${to} (${code})`, {
      hint,
      cause: error,
      details: { strategy: kind, code, from, to },
    })
  }

  /** The current strategy failed at `kind`: decide between pair-level downgrade and per-file fallback. */
  function handleFailure(
    kind: 'reflink' | 'hardlink',
    error: unknown,
    from: string,
    to: string,
    warn: Warn,
  ): void {
    const code = errnoCode(error) ?? ''
    if (kind === 'hardlink' && code === 'EMLINK') {
      warnOnce('EMLINK', 'Copied files that have too many hard links already (EMLINK).', warn)
      return
    }
    const unsupported = (kind === 'reflink' ? REFLINK_UNSUPPORTED : HARDLINK_UNSUPPORTED).has(code)
    if (!unsupported) throw error
    if (strategy !== 'auto') throw notSupported(kind, error, from, to)
    if (state[kind] === 'works') {
      // Worked before on this pair, so this file is on another device or special: fall back for it only.
      warnOnce(
        `${kind}:${code}`,
        `Some files could not be placed with ${kind} (${code}); copied them instead.`,
        warn,
      )
    } else {
      state[kind] = 'fails'
    }
  }

  function copy(from: string, to: string, mode: number, flags: number): void {
    fs.copyFileSync(from, to, flags)
    // A copy takes the cache file's mode; the file list is the authority (the cache may store 0444).
    fs.chmodSync(to, mode)
  }

  function placeFile(from: string, to: string, mode: number, privateCopy: boolean, warn: Warn): void {
    let crossDevice = false
    if (strategy === 'reflink' || (strategy === 'auto' && state.reflink !== 'fails')) {
      try {
        copy(from, to, mode, COPYFILE_EXCL | COPYFILE_FICLONE_FORCE)
        if (state.reflink !== 'works') state.reflink = 'works'
        return
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') throw error
        handleFailure('reflink', error, from, to, warn)
        crossDevice = errnoCode(error) === 'EXDEV'
      }
    }
    if (
      !privateCopy &&
      !crossDevice &&
      (strategy === 'hardlink' || (strategy === 'auto' && state.hardlink !== 'fails'))
    ) {
      try {
        fs.linkSync(from, to)
        if (state.hardlink !== 'works') state.hardlink = 'works'
        return
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') throw error
        handleFailure('hardlink', error, from, to, warn)
      }
    }
    copy(from, to, mode, COPYFILE_EXCL)
  }

  function makeFolders(source: CachedPackage, destDir: string): void {
    fs.mkdirSync(destDir, { recursive: true })
    // Parents are inserted before their children, so one non-recursive mkdir per folder suffices.
    const folders = new Set<string>()
    for (const file of source.files) {
      const path = file.path
      if (UNSAFE_PATH.test(path) || path === '') {
        throw new ToteError(
          'ECACHEDAMAGED',
          `Unsafe path ${JSON.stringify(path)} in cached package ${source.integrity}`,
          {
            hint: 'The content cache entry is damaged; fetch the package again.',
            details: { integrity: source.integrity, file: path, destDir },
          },
        )
      }
      const end = path.lastIndexOf('/')
      if (end <= 0 || folders.has(path.slice(0, end))) continue
      for (
        let slash = path.indexOf('/');
        slash !== -1 && slash <= end;
        slash = path.indexOf('/', slash + 1)
      ) {
        folders.add(path.slice(0, slash))
      }
    }
    for (const folder of folders) {
      try {
        fs.mkdirSync(`${destDir}/${folder}`)
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST') throw error
      }
    }
  }

  return {
    state,
    cloneSync(source, destDir, privateCopy, warn) {
      makeFolders(source, destDir)
      const fromDir = `${source.dir}/`
      const toDir = `${destDir}/`
      for (const file of source.files) {
        try {
          placeFile(fromDir + file.path, toDir + file.path, file.mode, privateCopy, warn)
        } catch (error) {
          throw errnoCode(error) === 'ENOENT' ? missingSource(error, source, file.path, destDir) : error
        }
      }
    },
    effectiveStrategy() {
      if (strategy !== 'auto') return strategy
      if (state.reflink === 'works') return 'reflink'
      if (state.reflink !== 'fails') return undefined
      if (state.hardlink === 'works') return 'hardlink'
      return state.hardlink === 'fails' ? 'copy' : undefined
    },
  }
}
