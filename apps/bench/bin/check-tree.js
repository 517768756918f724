#!/usr/bin/env node
// Usage: check-tree <project folder> — prints every dependency that is missing or out of range.
import { checkTree } from '../dist/check-tree.js'

const dir = process.argv[2] ?? process.cwd()
const report = checkTree(dir)
for (const problem of report.problems) {
  const where = problem.from.slice(dir.length) || '(project)'
  console.log(
    `${problem.kind}: ${where} wants ${problem.name}@${problem.range}${problem.found ? `, found ${problem.found}` : ''}`,
  )
}
console.log(
  `${report.packages} packages, ${report.edges} dependency edges, ${report.problems.length} problems`,
)
process.exitCode = report.problems.length > 0 ? 1 : 0
