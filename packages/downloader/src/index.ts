export { createDownloader } from './_downloader.js'
export type * from './types.js'
