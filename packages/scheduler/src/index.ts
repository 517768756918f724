export { createScheduler, schedulerWorkerFile } from './_scheduler.js'
export type * from './types.js'
