// The plain hard-link loop for clone-many.bench.mjs: no tote code, to see how the machine scales.
import { linkSync, mkdirSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'

const { packages, root } = workerData
parentPort.postMessage('ready')
parentPort.once('message', () => {
  packages.forEach((pkg, i) => {
    const dest = `${root}/p${pkg.integrity.slice(12)}-${i}`
    mkdirSync(dest, { recursive: true })
    const folders = new Set()
    for (const file of pkg.files) {
      const end = file.path.lastIndexOf('/')
      if (end > 0 && !folders.has(file.path.slice(0, end))) {
        folders.add(file.path.slice(0, end))
        mkdirSync(`${dest}/${file.path.slice(0, end)}`, { recursive: true })
      }
    }
    for (const file of pkg.files) linkSync(`${pkg.dir}/${file.path}`, `${dest}/${file.path}`)
  })
  parentPort.postMessage('done')
})
