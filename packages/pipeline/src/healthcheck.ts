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
    if (!isHealthcheck(req.url ?? '/')) return app(req, res)
    if (disablePath && existsSync(disablePath)) return reply(req, res, 503, 'DISABLED BY FILE')
    reply(req, res, 200, 'OK')
  }
}

const PATH = '/healthcheck'
const QUESTION_MARK = 0x3f

// The path is /healthcheck, whatever the query; no substring per request.
function isHealthcheck(url: string): boolean {
  return (
    url.startsWith(PATH) &&
    (url.length === PATH.length || url.charCodeAt(PATH.length) === QUESTION_MARK)
  )
}

function reply(req: IncomingMessage, res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/plain',
    'content-length': Buffer.byteLength(body),
  })
  res.end(req.method === 'HEAD' ? undefined : body)
}
