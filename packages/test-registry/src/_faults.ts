import type { Fault } from './types.js'

interface Registered {
  route: string | RegExp
  fault: Fault
  used: number
}

/** `decodeURIComponent` that answers undefined for malformed escapes instead of throwing. */
export function safeDecode(path: string): string | undefined {
  try {
    return decodeURIComponent(path)
  } catch {
    return undefined
  }
}

function matches(route: string | RegExp, decodedPath: string, rawPath: string): boolean {
  if (typeof route === 'string') return (safeDecode(route) ?? route) === decodedPath
  // A global or sticky RegExp keeps state between tests; reset it so every request is tested alike.
  route.lastIndex = 0
  if (route.test(decodedPath)) return true
  route.lastIndex = 0
  return route.test(rawPath)
}

/** Registered faults, in order; `take` picks the one for a request and counts the use. */
export function createFaults() {
  let registered: Registered[] = []
  return {
    add(route: string | RegExp, fault: Fault): void {
      registered.push({ route, fault: { ...fault }, used: 0 })
    },
    clear(): void {
      registered = []
    },
    /** The first registered fault that matches and has uses left, or undefined. */
    take(decodedPath: string, rawPath: string): Fault | undefined {
      for (const entry of registered) {
        if (entry.fault.times !== undefined && entry.used >= entry.fault.times) continue
        if (!matches(entry.route, decodedPath, rawPath)) continue
        entry.used++
        return entry.fault
      }
      return undefined
    },
  }
}
