import { runInWorker } from '../../../lib/worker.js'
runInWorker(import.meta.url, () => import('./main.js'))
