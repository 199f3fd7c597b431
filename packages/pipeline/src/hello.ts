import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AppFactory, Conf, RequestListener } from './types.js'

/** The longest `?sleep=` honoured, so a typo cannot park a request for days. */
export const HELLO_MAX_SLEEP_MS = 600_000

/**
 * The sample app: 200 `text/plain` `<message> (pid <pid>)\n` on every path,
 * `message` defaulting to `Hello from forklift`; the pid (also in the
 * `x-forklift-pid` header) tells workers apart. `?sleep=<ms>` answers after
 * that long (at most HELLO_MAX_SLEEP_MS), for tests of graceful drain and
 * `max_clients`; a client that goes away meanwhile cancels the timer.
 */
export const hello: AppFactory = (globalConf: Conf, localConf: Conf): RequestListener => {
  const message = { ...globalConf, ...localConf }.message || 'Hello from forklift'
  const body = Buffer.from(`${message} (pid ${process.pid})\n`)
  const headers = {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length,
    'x-forklift-pid': String(process.pid),
  }
  const send = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, headers)
    res.end(req.method === 'HEAD' ? undefined : body)
  }
  return (req, res) => {
    const sleepMs = req.url?.includes('?') ? sleepOf(req.url) : 0
    if (sleepMs <= 0) return send(req, res)
    const timer = setTimeout(() => send(req, res), sleepMs)
    res.once('close', () => clearTimeout(timer))
  }
}

function sleepOf(url: string): number {
  const raw = new URLSearchParams(url.slice(url.indexOf('?') + 1)).get('sleep')
  const ms = raw === null ? 0 : Number(raw)
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), HELLO_MAX_SLEEP_MS) : 0
}
