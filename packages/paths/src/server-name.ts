import { PathsError } from './errors.js'

/** A server name as swift-init reads it: `object`, `object-server`, `object.2`, `container-reconciler`. */
export interface ServerName {
  /** The full server name, always with a dash: `object-server`, `object-replicator`. */
  server: string
  /** The part before the last dash: `object` for `object-server` and `object-replicator`. */
  type: string
  /** The named config after the dot (`2` in `object.2`), or undefined. */
  conf: string | undefined
}

/**
 * Parses a server argument as swift-init does: lower-cased, `<server>.<config>`
 * split at the last dot, `-server` appended when the name has no dash; an
 * empty config (`object.`) names none, so every config matches, as in swift.
 */
export function parseServerName(name: string): ServerName {
  let server = name.toLowerCase()
  let conf: string | undefined
  const dot = server.lastIndexOf('.')
  if (dot !== -1) {
    conf = server.slice(dot + 1)
    server = server.slice(0, dot)
  }
  // swift's format_server_name: anything after a (first) dot is not part of the name.
  server = server.split('.', 1)[0] ?? ''
  if (server === '') throw new PathsError('E_SERVER_NAME', `invalid server name '${name}'`)
  // `object.`: swift looks for configs ending in '' + '.conf', which is all of them.
  if (conf === '') conf = undefined
  if (!server.includes('-')) server = `${server}-server`
  const type = server.slice(0, server.lastIndexOf('-'))
  return { server, type, conf }
}

/** The name a server is shown and matched by: `object-server`, or `object-server.2` with a config. */
export function formatServerName(name: ServerName): string {
  return name.conf === undefined ? name.server : `${name.server}.${name.conf}`
}
