import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import {
  startLoopbackProxy,
  type LoopbackProxy,
  type ProxyReply,
  type ProxyRequest,
} from './loopback-proxy.js'

/**
 * A loopback proxy that holds every request for `delayMs` before passing it to
 * the target, so a local endpoint answers about as slowly as AWS does
 * (100-300 ms per call). moto alone answers in ~10 ms, which hides whether
 * calls to different regions overlap. The proxy's stats count calls and the
 * peak number in flight.
 */
export function startDelayProxy(target: string, delayMs: number, answer?: Answer): Promise<LoopbackProxy> {
  return startLoopbackProxy(target, async (req, forward) => {
    await new Promise((resolve) => setTimeout(resolve, delayMs))
    return answer ? answer(req) : forward()
  })
}

/** Answers a call itself instead of passing it on (a stand-in for AWS; see startDelayProxyProcess). */
export type Answer = (req: ProxyRequest) => ProxyReply | Promise<ProxyReply>

export interface ProxyCounts {
  total: number
  peakInFlight: number
}

export interface DelayProxyProcess {
  endpoint: string
  counts(): Promise<ProxyCounts>
  resetStats(): Promise<void>
  close(): Promise<void>
}

type Message =
  | { type: 'ready'; endpoint: string }
  | { type: 'counts'; total: number; peakInFlight: number }
  | { type: 'reset' }

/**
 * The same proxy in a child process. The network's delay costs a real caller
 * no CPU; a proxy inside the measured process would take event-loop time from
 * the code being measured, so benchmarks run it apart.
 *
 * With `answerModule` (a module exporting `answer`, an Answer) the proxy answers
 * every call itself after the delay, in its own process: a stand-in for AWS
 * then costs one HTTP hop instead of two and one process instead of two on the
 * cores the measured process runs on. AWS answers concurrent calls on many
 * machines; a stand-in behind a forwarding proxy answers them one at a time,
 * twice, on ours.
 */
export async function startDelayProxyProcess(
  target: string,
  delayMs: number,
  options: { answerModule?: string } = {},
): Promise<DelayProxyProcess> {
  const script = fileURLToPath(import.meta.url)
  const args = ['--serve', target, String(delayMs), ...(options.answerModule ? [options.answerModule] : [])]
  const child: ChildProcess = fork(script, args, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  const next = (type: Message['type']) =>
    new Promise<Message>((resolve, reject) => {
      const onMessage = (m: Message) => {
        if (m.type !== type) return
        child.off('message', onMessage)
        child.off('exit', onExit)
        resolve(m)
      }
      const onExit = (code: number | null) => reject(new Error(`delay proxy exited with ${code}`))
      child.on('message', onMessage)
      child.once('exit', onExit)
    })
  const ready = (await next('ready')) as { endpoint: string }
  return {
    endpoint: ready.endpoint,
    counts: async () => {
      const reply = next('counts')
      child.send({ type: 'counts' })
      const m = (await reply) as ProxyCounts
      return { total: m.total, peakInFlight: m.peakInFlight }
    },
    resetStats: async () => {
      const reply = next('reset')
      child.send({ type: 'reset' })
      await reply
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

async function serve(target: string, delayMs: number, answerModule?: string): Promise<void> {
  const answer = answerModule
    ? ((await import(pathToFileURL(answerModule).href)) as { answer: Answer }).answer
    : undefined
  const proxy = await startDelayProxy(target, delayMs, answer)
  process.on('message', (m: { type: string }) => {
    if (m.type === 'counts') {
      process.send!({ type: 'counts', total: proxy.stats.total, peakInFlight: proxy.stats.peakInFlight })
    } else if (m.type === 'reset') {
      proxy.resetStats()
      process.send!({ type: 'reset' })
    }
  })
  process.once('SIGTERM', () => void proxy.close().then(() => process.exit(0)))
  process.send!({ type: 'ready', endpoint: proxy.endpoint })
}

if (process.argv[2] === '--serve' && process.send) {
  void serve(process.argv[3]!, Number(process.argv[4]), process.argv[5])
}
