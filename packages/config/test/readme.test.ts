// biome-ignore-all lint/suspicious/noTemplateCurlyInString: npmrc values use ${VAR} syntax
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { loadConfig } from '../src/index.js'
import { makeMachine } from './_fixture.js'

it('runs the README example', async () => {
  const { home, prefix, project, projectRc } = makeMachine()
  projectRc('@acme:registry=http://127.0.0.1:4873/acme/\n//127.0.0.1:4873/acme/:_authToken=${ACME_TOKEN}\n')

  // README example start
  const config = await loadConfig({
    cwd: project,
    env: { HOME: home, PREFIX: prefix, ACME_TOKEN: 'secret' },
    homedir: home,
    flags: { 'ignore-scripts': true, omit: ['dev'] },
  })
  expect(config.registryFor('@acme/widget')).toBe('http://127.0.0.1:4873/acme/')
  expect(config.authHeaderFor('http://127.0.0.1:4873/acme/@acme%2fwidget')).toBe('Bearer secret')
  expect(config.authHeaderFor('http://127.0.0.1:4874/acme/@acme%2fwidget')).toBeUndefined()
  expect(config.ignoreScripts).toBe(true)
  expect(config.omit).toEqual(['dev'])
  expect(config.cacheDir).toBe(`${home}/.cache/tote`)
  // README example end
})

it('keeps the README example identical to the code above', () => {
  const source = readFileSync(import.meta.filename, 'utf8')
  const fromTest = source
    .split('// README example start\n')[1]!
    .split('  // README example end')[0]!
    .replace(/^ {2}/gm, '')
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8')
  const fromReadme = readme.split('```ts\n')[1]!.split('```')[0]!
  expect(fromReadme.endsWith(fromTest)).toBe(true)
})
