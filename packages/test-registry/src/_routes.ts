import type { IncomingMessage } from 'node:http'
import { jsonReply, type Reply } from './_reply.js'
import type { Store } from './_store.js'

export const ABBREVIATED_TYPE = 'application/vnd.npm.install-v1+json'

// `/a/-/a-1.0.0.tgz`, `/@s/x/-/x-1.0.0.tgz` (on the decoded path, so `/@s%2fx/-/…` works too).
const TARBALL = /^\/((?:@[^/]+\/)?[^/@][^/]*)\/-\/([^/]+)\.tgz$/
// `/a`, `/@s/x` (decoded from `/@s%2fx` too).
const PACKUMENT = /^\/((?:@[^/]+\/)?[^/]+)$/
// `/a/latest`, `/a/1.0.0`, `/@s/x/latest` (decoded from `/@s%2fx/latest` too).
const VERSION = /^\/((?:@[^/]+\/)?[^/@][^/]*)\/([^/]+)$/

export interface RouteContext {
  store: Store
  fullOnly: boolean
  compress: boolean
  versionDocuments: boolean
}

function notFound(): Reply {
  return jsonReply(404, { error: 'Not found' })
}

function weakTag(tag: string): string {
  return tag.trim().replace(/^W\//, '')
}

/** True when the request's validators say the client's copy is current (If-None-Match wins). */
function notModified(req: IncomingMessage, etag: string, modified: number): boolean {
  const ifNoneMatch = req.headers['if-none-match']
  if (ifNoneMatch !== undefined) {
    const tags = ifNoneMatch.split(',').map(weakTag)
    return tags.includes('*') || tags.includes(weakTag(etag))
  }
  const ifModifiedSince = req.headers['if-modified-since']
  if (ifModifiedSince === undefined) return false
  const since = Date.parse(ifModifiedSince)
  // HTTP dates have whole seconds.
  return !Number.isNaN(since) && Math.floor(modified / 1000) * 1000 <= since
}

function validated(req: IncomingMessage, reply: Reply, etag: string, modified: number): Reply {
  const validators = { etag, 'last-modified': new Date(modified).toUTCString() }
  if (notModified(req, etag, modified)) return { status: 304, headers: validators, body: Buffer.alloc(0) }
  return { ...reply, headers: { ...reply.headers, ...validators } }
}

function packument(
  context: RouteContext,
  req: IncomingMessage,
  name: string,
  wrongIntegrity: boolean,
): Reply {
  const abbreviated = !context.fullOnly && (req.headers.accept ?? '').includes(ABBREVIATED_TYPE)
  const rendered = context.store.packument(name, abbreviated, wrongIntegrity)
  if (!rendered) return notFound()
  const headers: Record<string, string> = {
    'content-type': abbreviated ? ABBREVIATED_TYPE : 'application/json',
    vary: context.compress ? 'accept, accept-encoding' : 'accept',
  }
  let body = rendered.body
  if (context.compress && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    body = rendered.gzipped()
    headers['content-encoding'] = 'gzip'
  }
  return validated(req, { status: 200, headers, body }, rendered.etag, rendered.modified)
}

/** One version's document, as the full packument has it: `selector` is a dist-tag or a version. */
function versionDocument(
  context: RouteContext,
  name: string,
  selector: string,
  wrongIntegrity: boolean,
): Reply {
  const rendered = context.store.packument(name, false, wrongIntegrity)
  if (!rendered) return notFound()
  const packument = JSON.parse(rendered.body.toString('utf8')) as {
    'dist-tags': Record<string, string>
    versions: Record<string, unknown>
  }
  const version = Object.hasOwn(packument['dist-tags'], selector)
    ? packument['dist-tags'][selector]!
    : selector
  return Object.hasOwn(packument.versions, version) ? jsonReply(200, packument.versions[version]) : notFound()
}

function tarball(context: RouteContext, req: IncomingMessage, name: string, file: string): Reply {
  const unscoped = name.replace(/^@[^/]+\//, '')
  if (!file.startsWith(`${unscoped}-`)) return notFound()
  const built = context.store.tarball(name, file.slice(unscoped.length + 1))
  const modified = context.store.modified(name)
  if (!built || modified === undefined) return notFound()
  const reply = { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: built.bytes }
  return validated(req, reply, `"${built.shasum}"`, modified)
}

/** The registry's answer to a request for `decodedPath`, before faults that change the body. */
export function route(
  context: RouteContext,
  req: IncomingMessage,
  decodedPath: string,
  wrongIntegrity: boolean,
): Reply {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return jsonReply(405, { error: 'method not allowed' }, { allow: 'GET, HEAD' })
  }
  if (decodedPath === '/-/ping') return jsonReply(200, {})
  const tarballMatch = TARBALL.exec(decodedPath)
  if (tarballMatch) return tarball(context, req, tarballMatch[1]!, tarballMatch[2]!)
  const packumentMatch = PACKUMENT.exec(decodedPath)
  if (packumentMatch) return packument(context, req, packumentMatch[1]!, wrongIntegrity)
  const versionMatch = VERSION.exec(decodedPath)
  if (versionMatch && context.versionDocuments) {
    return versionDocument(context, versionMatch[1]!, versionMatch[2]!, wrongIntegrity)
  }
  return notFound()
}
