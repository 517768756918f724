#!/usr/bin/env node
// Which of the bundle's modules a command initialises: esbuild wraps each module that is loaded
// lazily (behind a dynamic import, or CommonJS) in an init function, and this counts the ones that
// run. Compare two builds with it to see that a change loads no more for `tote --version` or
// `tote run`. Usage (from the repository, with the CLI built):
//
//   node apps/cli/scripts/start-up-modules.mjs [--bundle <dist/tote.cjs>] <project folder> -- <tote args>...
//
// Prints one JSON document: the arguments, the bundle's size, how many modules ran their init, and
// their names. The bundle is read, its two wrapper helpers are changed to count, and it runs in this
// process as bin/tote.js runs it (stdout of the command is dropped; its scripts' output is not).

import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import vm from 'node:vm'

const argv = process.argv.slice(2)
const dashes = argv.indexOf('--')
if (dashes === -1) {
  process.stderr.write(
    'usage: start-up-modules.mjs [--bundle <dist/tote.cjs>] <project folder> -- <tote args>...\n',
  )
  process.exit(2)
}
const own = argv.slice(0, dashes)
const args = argv.slice(dashes + 1)
const at = own.indexOf('--bundle')
const bundle = resolve(
  at === -1 ? fileURLToPath(new URL('../dist/tote.cjs', import.meta.url)) : own.splice(at, 2)[1],
)
const project = resolve(own[0] ?? '.')

const helpers = [
  // esbuild's lazy ES module: counted the first time its init runs
  [
    'var __esm=(fn,res,err)=>function(){if(err)throw err[0];',
    'var __esm=(fn,res,err)=>function(){if(err)throw err[0];if(fn)__toteInits.push(__getOwnPropNames(fn)[0]);',
  ],
  // a bundled CommonJS module: counted the first time it is required
  [
    'var __commonJS=(cb,mod)=>function(){',
    'var __commonJS=(cb,mod)=>function(){if(!mod)__toteInits.push(__getOwnPropNames(cb)[0]);',
  ],
]
let source = readFileSync(bundle, 'latin1')
const bundleBytes = source.length
for (const [helper, counting] of helpers) {
  if (!source.includes(helper)) throw new Error(`${bundle}: esbuild's helper not found: ${helper}`)
  source = source.replace(helper, counting)
}
const inits = []
globalThis.__toteInits = inits
const module = { exports: {} }
new vm.Script(`(function (exports, require, module, __filename, __dirname) {\n${source}\n})`, {
  filename: bundle,
  lineOffset: -1,
}).runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle))
process.chdir(project)
const write = process.stdout.write.bind(process.stdout)
process.stdout.write = () => true
try {
  await module.exports.main(args, { importModule: (specifier) => import(specifier) })
} finally {
  process.stdout.write = write
}
process.exitCode = 0
process.stdout.write(`${JSON.stringify({ args, bundleBytes, modules: inits.length, inits }, null, 2)}\n`)
