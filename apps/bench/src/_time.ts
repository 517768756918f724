import type { TimeMeasures } from './types.js'

const MARKER = 'pm-bench-time'

/**
 * The `-f` format given to GNU time: wall (%e), user (%U) and sys (%S) seconds, max RSS in KB (%M),
 * voluntary (%w) and involuntary (%c) context switches, exit status (%x). A marker word lets the
 * parser find the line among GNU time's own notes ("Command exited with non-zero status 1").
 */
export const TIME_FORMAT = `${MARKER} wall=%e user=%U sys=%S rss=%M vctx=%w ictx=%c exit=%x`

/** Parses what `/usr/bin/time -o <file> -f TIME_FORMAT` wrote; undefined when the line is missing. */
export function parseTimeOutput(text: string): TimeMeasures | undefined {
  const lines = text.split('\n')
  const line = lines.findLast((candidate) => candidate.startsWith(`${MARKER} `))
  if (line === undefined) return undefined
  const fields = new Map<string, number>()
  for (const pair of line
    .slice(MARKER.length + 1)
    .trim()
    .split(/\s+/)) {
    const [key, value] = pair.split('=')
    if (key === undefined || value === undefined || value === '' || !Number.isFinite(Number(value))) {
      return undefined
    }
    fields.set(key, Number(value))
  }
  const field = (key: string): number | undefined => fields.get(key)
  const wall = field('wall')
  const user = field('user')
  const sys = field('sys')
  const rss = field('rss')
  const vctx = field('vctx')
  const ictx = field('ictx')
  const exit = field('exit')
  if ([wall, user, sys, rss, vctx, ictx, exit].some((value) => value === undefined)) return undefined
  const signalLine = lines.find((candidate) => /^Command terminated by signal \d+/.test(candidate))
  return {
    wallSeconds: wall!,
    userSeconds: user!,
    sysSeconds: sys!,
    maxRssKb: rss!,
    voluntaryCtx: vctx!,
    involuntaryCtx: ictx!,
    exitCode: exit!,
    signal: signalLine === undefined ? undefined : Number(/\d+/.exec(signalLine)![0]),
  }
}
