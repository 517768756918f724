// `omit` as npm computes it from `omit`, `include`, NODE_ENV and the deprecated `production`, `only`,
// `also`, `dev` and `optional` keys (npm's buildOmitList), without npm's side effect on process.env.
import type { OmitType } from '@tote/types'
import type { NpmConfig } from './_npm.js'
import { badValue } from './_read.js'

const omitTypes: readonly string[] = ['dev', 'optional', 'peer'] satisfies OmitType[]
const includeTypes: readonly string[] = ['prod', ...omitTypes]

function readList(npm: NpmConfig, key: string, allowed: readonly string[]): string[] {
  const value = npm.get(key) ?? []
  // an empty entry (`omit=` in a file) means nothing
  const list = (Array.isArray(value) ? value : [value]).filter((item) => item !== '')
  for (const item of list) {
    if (typeof item !== 'string' || !allowed.includes(item)) {
      throw badValue(npm, key, `one or more of ${allowed.join(', ')}`, value)
    }
  }
  return list as string[]
}

export function resolveOmit(npm: NpmConfig, env: NodeJS.ProcessEnv): OmitType[] {
  // npm's default for `omit` is ['dev'] when NODE_ENV=production, read from the environment it runs in
  const omitConfigured = npm.layerOf('omit') !== 'default' && npm.layerOf('omit') !== null
  const omit = omitConfigured
    ? [...readList(npm, 'omit', omitTypes)]
    : env.NODE_ENV === 'production'
      ? ['dev']
      : []
  const include = [...readList(npm, 'include', includeTypes)]

  const only = npm.get('only')
  const production = npm.get('production')
  if ((typeof only === 'string' && /^prod(uction)?$/.test(only)) || production === true) omit.push('dev')
  else if (production === false) include.push('dev')
  const also = npm.get('also')
  if (typeof also === 'string' && /^dev/.test(also)) include.push('dev')
  if (npm.get('dev') === true) include.push('dev')
  const optional = npm.get('optional')
  if (optional === false) omit.push('optional')
  else if (optional === true) include.push('optional')

  return [...new Set(omit)].filter((type) => !include.includes(type)) as OmitType[]
}
