import { readFileSync } from 'node:fs'
import type { ProjectManifest } from '@tote/types'

/** Folders under test/fixtures; each holds a package.json and the package-lock.json npm 11 wrote for it. */
export const FIXTURES = ['vite-react-ts', 'features', 'crafted-registry', 'tabs-crlf'] as const

export function fixtureText(name: string, file = 'package-lock.json'): string {
  return readFileSync(new URL(`fixtures/${name}/${file}`, import.meta.url), 'utf8')
}

export function fixtureManifest(name: string): ProjectManifest {
  return JSON.parse(fixtureText(name, 'package.json')) as ProjectManifest
}

/** A small deterministic PRNG (mulberry32), so shuffles are the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A deep copy whose objects have their keys inserted in a random order. */
export function shuffleKeys<T>(value: T, random: () => number): T {
  if (Array.isArray(value)) return value.map((item) => shuffleKeys(item, random)) as T
  if (typeof value !== 'object' || value === null) return value
  const entries = Object.entries(value)
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[entries[i], entries[j]] = [entries[j]!, entries[i]!]
  }
  return Object.fromEntries(entries.map(([key, child]) => [key, shuffleKeys(child, random)])) as T
}
