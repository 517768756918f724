import { describe, expect, it } from 'vitest'
import { parseTimeOutput, TIME_FORMAT } from '../src/_time.js'

describe('GNU time output', () => {
  it('asks for wall, user, sys, max RSS, context switches and the exit status', () => {
    expect(TIME_FORMAT).toBe('pm-bench-time wall=%e user=%U sys=%S rss=%M vctx=%w ictx=%c exit=%x')
  })

  it('parses a successful run', () => {
    expect(
      parseTimeOutput('pm-bench-time wall=12.34 user=8.50 sys=3.21 rss=254120 vctx=35419 ictx=2618 exit=0\n'),
    ).toEqual({
      wallSeconds: 12.34,
      userSeconds: 8.5,
      sysSeconds: 3.21,
      maxRssKb: 254120,
      voluntaryCtx: 35419,
      involuntaryCtx: 2618,
      exitCode: 0,
      signal: undefined,
    })
  })

  it("skips GNU time's own notes about the exit status", () => {
    const text =
      'Command exited with non-zero status 3\npm-bench-time wall=0.50 user=0.10 sys=0.05 rss=1536 vctx=1 ictx=0 exit=3\n'
    expect(parseTimeOutput(text)?.exitCode).toBe(3)
  })

  it('reports a signal, since the exit status then reads 0', () => {
    const text =
      'Command terminated by signal 9\npm-bench-time wall=0.00 user=0.00 sys=0.00 rss=1600 vctx=1 ictx=0 exit=0\n'
    const measures = parseTimeOutput(text)
    expect(measures?.signal).toBe(9)
    expect(measures?.exitCode).toBe(0)
  })

  it('returns undefined without the line or with a broken field', () => {
    expect(parseTimeOutput('/usr/bin/time: cannot run pnpm: No such file or directory\n')).toBeUndefined()
    expect(parseTimeOutput('pm-bench-time wall=? user=0 sys=0 rss=1 vctx=1 ictx=0 exit=0')).toBeUndefined()
    expect(parseTimeOutput('pm-bench-time wall=1 user=0 sys=0 rss=1 vctx=1 exit=0')).toBeUndefined()
  })
})
