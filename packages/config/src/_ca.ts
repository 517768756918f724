// Trusted CAs: `cafile` (read and split into PEM certificates, as npm does) or `ca`, whichever is set
// in the higher-precedence layer.
import { readFile } from 'node:fs/promises'
import { ToteError } from '@tote/types'
import type { NpmConfig } from './_npm.js'
import { badValue } from './_read.js'
import type { ConfigLayer } from './types.js'

const layerRank: Record<ConfigLayer, number> = {
  default: 0,
  builtin: 1,
  global: 2,
  user: 3,
  project: 4,
  env: 5,
  cli: 6,
}

const certEnd = '-----END CERTIFICATE-----'

/** Splits PEM text into one string per certificate. */
export function splitPem(pem: string): string[] {
  return pem
    .replace(/\r\n/g, '\n')
    .split(certEnd)
    .filter((section) => section.includes('-----BEGIN CERTIFICATE-----'))
    .map((section) => section.trimStart() + certEnd)
}

export async function resolveCa(npm: NpmConfig): Promise<string[] | undefined> {
  const cafile = npm.get('cafile')
  const rank = (key: string) => layerRank[npm.layerOf(key) ?? 'default']
  if (typeof cafile === 'string' && cafile !== '' && rank('cafile') >= rank('ca')) {
    let text: string
    try {
      text = await readFile(cafile, 'utf8')
    } catch (error) {
      const origin = npm.originOf('cafile')
      throw new ToteError('ECONFIG', `Cannot read cafile ${cafile}: ${(error as Error).message}`, {
        hint: `Fix "cafile" in ${origin}: it must name a readable PEM file.`,
        cause: error,
        details: { key: 'cafile', value: cafile, origin },
      })
    }
    const certs = splitPem(text)
    if (certs.length === 0) throw badValue(npm, 'cafile', 'a file with PEM certificates', cafile)
    return certs
  }

  const ca = npm.get('ca')
  if (ca === null || ca === undefined || ca === '') return undefined
  const list = Array.isArray(ca) ? ca : [ca]
  if (!list.every((cert) => typeof cert === 'string')) throw badValue(npm, 'ca', 'PEM text', ca)
  const certs = (list as string[]).filter((cert) => cert.trim() !== '')
  return certs.length > 0 ? certs : undefined
}
