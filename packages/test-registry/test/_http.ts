// Low-level clients for tests that must see exactly what went over the wire (fetch hides partial
// bodies and content-encoding).
import { request } from 'node:http'
import { connect } from 'node:net'

export interface RawExchange {
  status: number
  headers: Record<string, string>
  /** Body bytes received after the headers. */
  body: Buffer
  /** How the connection ended: a clean end (FIN), or the socket error (e.g. ECONNRESET). */
  ending: 'end' | string
}

/** Sends one GET on a fresh TCP connection and reads until the server ends or resets it. */
export function rawGet(
  url: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawExchange> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    const chunks: Buffer[] = []
    const lines = Object.entries({ host: `${hostname}:${port}`, connection: 'close', ...headers })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('')
    socket.write(`GET ${path} HTTP/1.1\r\n${lines}\r\n`)
    socket.on('data', (chunk) => chunks.push(chunk))
    const finish = (ending: string) => {
      const all = Buffer.concat(chunks)
      const split = all.indexOf('\r\n\r\n')
      if (split === -1) {
        reject(new Error(`no response head (${ending})`))
        return
      }
      const [statusLine, ...headerLines] = all.subarray(0, split).toString('latin1').split('\r\n')
      const parsed: Record<string, string> = {}
      for (const line of headerLines) {
        const colon = line.indexOf(':')
        parsed[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
      }
      resolve({
        status: Number(statusLine!.split(' ')[1]),
        headers: parsed,
        body: all.subarray(split + 4),
        ending,
      })
    }
    socket.on('end', () => finish('end'))
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message))
  })
}

export interface NodeGetResult {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  /** The error the response stream (or request) raised, if any. */
  error?: NodeJS.ErrnoException
}

/** GET with node:http, without decoding the body; resolves with what arrived and any error after it. */
export function nodeGet(url: string, headers: Record<string, string> = {}): Promise<NodeGetResult> {
  return new Promise((resolve, reject) => {
    let partial: (() => Omit<NodeGetResult, 'error'>) | undefined
    const req = request(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      const result = () => ({
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: Buffer.concat(chunks),
      })
      partial = result
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve(result()))
      res.on('error', (error) => resolve({ ...result(), error }))
    })
    // After the response has started, a reset may surface on the request rather than the response.
    req.on('error', (error) => (partial ? resolve({ ...partial(), error }) : reject(error)))
    req.end()
  })
}

/** The packument fields tests read (the rest stays `unknown`). */
export interface PackumentJson {
  [field: string]: unknown
  name: string
  'dist-tags': Record<string, string>
  versions: Record<string, VersionJson>
  time?: Record<string, string>
  modified?: string
}

export interface VersionJson {
  [field: string]: unknown
  dist: { tarball: string; integrity: string; shasum: string; fileCount?: number; unpackedSize?: number }
}

/** The JSON body of a packument response. */
export async function packumentJson(response: Response): Promise<PackumentJson> {
  return (await response.json()) as PackumentJson
}
