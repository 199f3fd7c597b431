import type { IncomingMessage } from 'node:http'
import type { RequestListener } from './types.js'

export interface UrlMapRoute {
  /** Prefix without trailing slash; `''` matches everything. */
  path: string
  /** Lower-case host (optionally `host:port`), or any host. */
  host?: string | undefined
  app: RequestListener
}

const scriptNames = new WeakMap<IncomingMessage, string>()

/**
 * The part of the path a urlmap consumed before this app (WSGI's SCRIPT_NAME);
 * `''` at the top.
 */
export function scriptName(req: IncomingMessage): string {
  return scriptNames.get(req) ?? ''
}

/**
 * paste's URLMap: the first route (in the order given; the config package
 * sorts them host-specific, then longest path first) whose host matches and
 * whose path is the request path or a `/`-prefix of it gets the request with
 * that prefix removed from `req.url` (kept as `'/'` when nothing is left) and
 * added to scriptName(req). No match: `notFound`, or 404.
 */
export function urlmap(
  routes: readonly UrlMapRoute[],
  notFound?: RequestListener,
): RequestListener {
  return (req, res) => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    const query = q < 0 ? '' : url.slice(q)
    const hostHeader = (req.headers.host ?? '').toLowerCase()
    const host = hostHeader.replace(/:\d+$/, '')
    for (const route of routes) {
      if (route.host && route.host !== host && route.host !== hostHeader) continue
      if (route.path && path !== route.path && !path.startsWith(`${route.path}/`)) continue
      scriptNames.set(req, scriptName(req) + route.path)
      req.url = (path.slice(route.path.length) || '/') + query
      return route.app(req, res)
    }
    if (notFound) return notFound(req, res)
    const body = `Not Found: no app mounted at ${path}\n`
    res.writeHead(404, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) })
    res.end(req.method === 'HEAD' ? undefined : body)
  }
}
