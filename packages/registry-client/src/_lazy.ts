import type { PackageManifest, Packument } from '@tote/types'

/**
 * A reduced packument as one JSON text plus where each version's manifest sits in it: what a worker
 * sends the main thread. Strings cost the receiver almost nothing (no objects for the garbage
 * collector to trace), and a resolver reads a few versions of each package, not all of them.
 */
export interface PackumentText {
  name: string
  distTags: Record<string, string>
  modified: string | undefined
  /** The whole packument as JSON (also what the disk cache stores). */
  text: string
  /** Version keys, in document order. */
  keys: string[]
  /** `[start, end)` of each version's manifest JSON inside `text`, two entries per key. */
  offsets: Int32Array
}

/** Serialises a packument so that each version's manifest can be cut out of the text later. */
export function packumentToText(packument: Packument): PackumentText {
  const head = {
    name: packument.name,
    'dist-tags': packument['dist-tags'],
    ...(packument.modified === undefined ? {} : { modified: packument.modified }),
  }
  const parts = [`${JSON.stringify(head).slice(0, -1)},"versions":{`]
  let length = parts[0]!.length
  const keys = Object.keys(packument.versions)
  const offsets = new Int32Array(keys.length * 2)
  keys.forEach((key, index) => {
    const prefix = `${index === 0 ? '' : ','}${JSON.stringify(key)}:`
    const manifest = JSON.stringify(packument.versions[key])
    offsets[index * 2] = length + prefix.length
    offsets[index * 2 + 1] = length + prefix.length + manifest.length
    parts.push(prefix, manifest)
    length += prefix.length + manifest.length
  })
  parts.push('}}')
  return {
    name: packument.name,
    distTags: packument['dist-tags'],
    modified: packument.modified,
    text: parts.join(''),
    keys,
    offsets,
  }
}

/**
 * The packument back, with each version parsed from the text on first access (then kept as a plain
 * property). Enumeration, `in`, spreading and JSON.stringify behave as for a plain object.
 */
export function packumentFromText(source: PackumentText): Packument {
  const versions: Record<string, PackageManifest> = {}
  const { text, keys, offsets } = source
  keys.forEach((key, index) => {
    const settle = (target: object, value: PackageManifest): PackageManifest => {
      Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true })
      return value
    }
    Object.defineProperty(versions, key, {
      enumerable: true,
      configurable: true,
      get(this: object) {
        return settle(
          this,
          JSON.parse(text.slice(offsets[index * 2], offsets[index * 2 + 1])) as PackageManifest,
        )
      },
      set(this: object, value: PackageManifest) {
        settle(this, value)
      },
    })
  })
  const packument: Packument = { name: source.name, 'dist-tags': source.distTags, versions }
  if (source.modified !== undefined) packument.modified = source.modified
  return packument
}
