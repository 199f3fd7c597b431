import { existsSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Conf, Filter, FilterFactory } from './types.js'

/**
 * Swift's healthcheck middleware: `/healthcheck` (any method, as Swift's)
 * answers 200 `OK`, or 503 `DISABLED BY FILE` while the file named by
 * `disable_path` exists (checked on every request, so an operator can take a
 * node out of a load balancer with `touch`); every other path goes on to the
 * app. Options from `[DEFAULT]` count too (Swift merges global and local conf).
 */
export const healthcheck: FilterFactory = (globalConf: Conf, localConf: Conf): Filter => {
  const disablePath = { ...globalConf, ...localConf }.disable_path ?? ''
  return (app) => (req, res) => {
    if (pathOf(req) !== '/healthcheck') return app(req, res)
    if (disablePath && existsSync(disablePath)) return reply(req, res, 503, 'DISABLED BY FILE')
    reply(req, res, 200, 'OK')
  }
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  return q < 0 ? url : url.slice(0, q)
}

function reply(req: IncomingMessage, res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/plain',
    'content-length': Buffer.byteLength(body),
  })
  res.end(req.method === 'HEAD' ? undefined : body)
}
