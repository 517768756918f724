import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { createFaults, safeDecode } from './_faults.js'
import { faultStatusReply, hasToken, jsonReply, type Reply, sendReply, unauthorizedReply } from './_reply.js'
import { route } from './_routes.js'
import { createStore } from './_store.js'
import type { Fault, RecordedRequest, TestRegistry, TestRegistryOptions } from './types.js'

/** `/a`, `/@s%2fx`: the scope's slash escaped, as npm requests packuments. */
export function packumentPath(name: string): string {
  return '/' + name.replace('/', '%2f')
}

/** `/a/-/a-1.0.0.tgz`, `/@s/x/-/x-1.0.0.tgz`: the layout npm's registry uses for tarballs. */
export function tarballPath(name: string, version: string): string {
  return `/${name}/-/${name.replace(/^@[^/]+\//, '')}-${version}.tgz`
}

/** Starts a registry on 127.0.0.1 (a free port) serving `options.packages`. */
export async function createTestRegistry(options: TestRegistryOptions = {}): Promise<TestRegistry> {
  const requests: RecordedRequest[] = []
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()
  const faults = createFaults()
  let url = ''
  const tarballUrl = (name: string, version: string) => url + tarballPath(name, version).slice(1)
  const store = createStore(tarballUrl)
  if (options.packages) store.add(options.packages)
  const context = {
    store,
    fullOnly: options.fullOnly ?? false,
    compress: options.compress ?? false,
    versionDocuments: options.versionDocuments ?? true,
  }
  let closed = false

  /** setTimeout that close() cancels. */
  function later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      timers.delete(timer)
      run()
    }, ms)
    timers.add(timer)
  }

  function delay(ms: number): Promise<void> {
    return new Promise((resolve) => later(ms, resolve))
  }

  function send(res: ServerResponse, reply: Reply, fault: Fault | undefined, isHead: boolean): void {
    sendReply(res, reply, fault, isHead, later)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: { ...req.headers } })
    const rawPath = (req.url ?? '/').split('?')[0]!
    const decodedPath = safeDecode(rawPath)
    const isHead = req.method === 'HEAD'
    if (decodedPath === undefined) {
      send(res, jsonReply(400, { error: 'malformed URL escape' }), undefined, isHead)
      return
    }
    if (options.token !== undefined && !hasToken(req, options.token)) {
      send(res, unauthorizedReply(), undefined, isHead)
      return
    }
    const fault = faults.take(decodedPath, rawPath)
    if (fault?.delayMs !== undefined && fault.delayMs > 0) {
      await delay(fault.delayMs)
      if (closed || res.destroyed) return
    }
    let reply: Reply
    if (fault?.requireToken !== undefined && !hasToken(req, fault.requireToken)) reply = unauthorizedReply()
    else if (fault?.status !== undefined) reply = faultStatusReply({ ...fault, status: fault.status })
    else reply = route(context, req, decodedPath, fault?.wrongIntegrity ?? false)
    send(res, reply, fault, isHead)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A spec the registry cannot serve (a bug in a test's fixture): answer 500 with the reason.
      if (res.headersSent) res.destroy()
      else send(res, jsonReply(500, { error: String(error) }), undefined, req.method === 'HEAD')
    })
  })
  // Longer than any pause in a test, so that a client never reuses a socket the server is closing;
  // close() destroys sockets anyway.
  server.keepAliveTimeout = 60_000
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`

  function built(name: string, version: string) {
    const tarball = store.tarball(name, version)
    if (!tarball) throw new Error(`test registry: no package ${name}@${version}`)
    return tarball
  }

  return {
    url,
    requests,
    addPackages: (packages) => store.add(packages),
    fault: (routePattern, fault) => faults.add(routePattern, fault),
    clearFaults: () => faults.clear(),
    packumentPath,
    tarballPath,
    tarballUrl,
    integrity: (name, version) => built(name, version).integrity,
    shasum: (name, version) => built(name, version).shasum,
    close: async () => {
      closed = true
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await stopped
    },
  }
}
