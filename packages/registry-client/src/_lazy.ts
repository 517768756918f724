import { Buffer } from 'node:buffer'
import { type PackageManifest, type Packument, VERSION_KEYS } from '@tote/types'

/**
 * A reduced packument as JSON bytes plus where each version's manifest sits in them: what a worker
 * sends the main thread. The bytes are transferred, not copied, and cost the receiver almost nothing
 * (no objects for the garbage collector to trace); a resolver reads a few versions of each package,
 * and only those are decoded and parsed.
 */
export interface PackumentText {
  name: string
  distTags: Record<string, string>
  modified: string | undefined
  /** The whole packument as JSON (also what the disk cache stores), in its own ArrayBuffer. */
  bytes: Uint8Array
  /** `latin1` when the text is ASCII (decoding is then a plain copy), else `utf8`. */
  encoding: 'latin1' | 'utf8'
  /** Version keys, in document order. */
  keys: string[]
  /** `[start, end)` of each version's manifest JSON inside `bytes`, two entries per key. */
  offsets: Int32Array
}

/** Serialises a packument so that each version's manifest can be cut out of the bytes later. */
export function packumentToText(packument: Packument): PackumentText {
  const head = {
    name: packument.name,
    'dist-tags': packument['dist-tags'],
    ...(packument.modified === undefined ? {} : { modified: packument.modified }),
  }
  // head, then a prefix (`,"key":`) and a manifest per version, then the closing braces.
  const parts = [`${JSON.stringify(head).slice(0, -1)},"versions":{`]
  // A lazily read packument lists versions that turn out unusable (undefined): they are left out.
  const keys = Object.keys(packument.versions).filter((key) => packument.versions[key] !== undefined)
  keys.forEach((key, index) => {
    parts.push(`${index === 0 ? '' : ','}${JSON.stringify(key)}:`, JSON.stringify(packument.versions[key]))
  })
  parts.push('}}')
  // Written straight into one buffer: joining the parts into a string first would be another copy.
  let size = 0
  let characters = 0
  for (const part of parts) {
    size += Buffer.byteLength(part, 'utf8')
    characters += part.length
  }
  const encoding = size === characters ? 'latin1' : 'utf8'
  const bytes = Buffer.allocUnsafeSlow(size)
  const offsets = new Int32Array(keys.length * 2)
  let written = 0
  parts.forEach((part, index) => {
    const start = written
    written += bytes.write(part, start, encoding)
    // Manifests are the parts at 2, 4, 6…
    if (index > 0 && index % 2 === 0) {
      offsets[index - 2] = start
      offsets[index - 1] = written
    }
  })
  return {
    name: packument.name,
    distTags: packument['dist-tags'],
    modified: packument.modified,
    bytes,
    encoding,
    keys,
    offsets,
  }
}

/**
 * The packument back, with each version parsed from the bytes on first access (then kept as a plain
 * property). Enumeration, `in`, spreading and JSON.stringify behave as for a plain object.
 */
export function packumentFromText(source: PackumentText): Packument {
  const { keys, offsets, encoding } = source
  // A transferred Buffer arrives as a plain Uint8Array.
  const bytes = Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength)
  const versions = lazyVersions(
    keys,
    (index) =>
      JSON.parse(bytes.toString(encoding, offsets[index * 2], offsets[index * 2 + 1])) as PackageManifest,
  )
  const packument: Packument = { name: source.name, 'dist-tags': source.distTags, versions }
  if (source.modified !== undefined) packument.modified = source.modified
  return packument
}

/**
 * A `versions` object whose entries are made by `read(index of the key)` on first access, then kept
 * as plain properties. Enumeration, `in`, spreading, JSON.stringify and assignment behave as for a
 * plain object (a key not read yet shows as an accessor). One proxy per packument instead of a
 * getter per version: defining 137,000 getters took ~1 s of main-thread time on ant-design, and
 * their closures were garbage the collector then traced for the rest of the install.
 */
export function lazyVersions(
  keys: readonly string[],
  read: (index: number) => PackageManifest | undefined,
): Record<string, PackageManifest> {
  // Keys not read yet; a key leaves when it is read, assigned, defined or deleted.
  const unread = new Map<string, number>(keys.map((key, index) => [key, index]))
  // Own keys in order: the document's, then any added later (as a plain object would list them).
  const order: string[] = [...keys]
  const target: Record<string, PackageManifest | undefined> = {}
  const listKeys = () => [...order]
  const settle = (key: string): PackageManifest | undefined => {
    const index = unread.get(key)!
    const value = read(index)
    unread.delete(key)
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true })
    return value
  }
  const handler: ProxyHandler<Record<string, PackageManifest | undefined>> = {
    get(object, key, receiver) {
      if (typeof key === 'string' && unread.has(key)) return settle(key)
      if (key === VERSION_KEYS) return listKeys
      return Reflect.get(object, key, receiver)
    },
    has(object, key) {
      return (typeof key === 'string' && unread.has(key)) || Reflect.has(object, key)
    },
    ownKeys() {
      return order
    },
    getOwnPropertyDescriptor(object, key) {
      if (typeof key === 'string' && unread.has(key)) {
        return {
          get: () => (unread.has(key) ? settle(key) : target[key]),
          set: (value: PackageManifest) => handler.set!(object, key, value, undefined),
          enumerable: true,
          configurable: true,
        }
      }
      return Reflect.getOwnPropertyDescriptor(object, key)
    },
    set(object, key, value) {
      return handler.defineProperty!(object, key, {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      })
    },
    defineProperty(object, key, descriptor) {
      if (typeof key === 'string') {
        if (!unread.delete(key) && !Object.hasOwn(object, key)) order.push(key)
      }
      return Reflect.defineProperty(object, key, descriptor)
    },
    deleteProperty(object, key) {
      if (typeof key === 'string' && (unread.delete(key) || Object.hasOwn(object, key))) {
        order.splice(order.indexOf(key), 1)
      }
      return Reflect.deleteProperty(object, key)
    },
  }
  return new Proxy(target, handler) as Record<string, PackageManifest>
}
