import { join, resolve } from 'node:path'
import { RegistryError } from './errors.js'

/** The databases a registry runs on. */
export type DbKind = 'sqlite' | 'postgres' | 'mysql'

/** Where a registry lives, parsed from a connection URL. */
export type RegistryTarget =
  | { kind: 'sqlite'; path: string; url: string }
  | { kind: 'postgres'; url: string }
  | { kind: 'mysql'; url: string }

/** The default state directory, as cinder's `state_path`. */
export const DEFAULT_STATE_PATH = '/var/lib/forklift'

/** The embedded default: a SQLite file under the state directory. */
export function defaultConnectionUrl(statePath: string = DEFAULT_STATE_PATH): string {
  return `sqlite:///${join(resolve(statePath), 'forklift.sqlite')}`
}

const EXPECTED = 'expected sqlite:///…, postgresql://… or mysql://…'

/**
 * Parses a registry connection URL, SQLAlchemy-style so cinder operators feel at home:
 * `sqlite:////abs/file.sqlite` (absolute), `sqlite:///rel/file.sqlite` (relative to `cwd`),
 * `postgresql://user:pass@host:5432/db` (also `postgres://`, `postgresql+psycopg2://`),
 * `mysql://user:pass@host:3306/db` (also `mariadb://`, `mysql+pymysql://`).
 */
export function parseConnectionUrl(url: string, cwd: string = process.cwd()): RegistryTarget {
  const text = url.trim()
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase()
  const base = scheme?.split('+')[0]
  if (base === 'sqlite') {
    const rest = text.slice(scheme!.length + 1)
    if (!rest.startsWith('///') || rest.length === 3) {
      throw new RegistryError(
        'E_REGISTRY_URL',
        `bad SQLite connection URL ${JSON.stringify(text)}: expected sqlite:////absolute/path or sqlite:///relative/path`,
      )
    }
    const p = decodeURIComponent(rest.slice(3).split('?')[0]!)
    return { kind: 'sqlite', path: resolve(cwd, p), url: text }
  }
  if (base === 'postgres' || base === 'postgresql') {
    return { kind: 'postgres', url: networkUrl(text, scheme!, 'postgres', 'PostgreSQL') }
  }
  if (base === 'mysql' || base === 'mariadb') {
    const normal = networkUrl(text, scheme!, 'mysql', 'MySQL')
    if (new URL(normal).pathname.length <= 1) {
      throw new RegistryError(
        'E_REGISTRY_URL',
        `bad MySQL connection URL ${redactUrl(text)}: it names no database (mysql://user:pass@host:3306/<database>)`,
      )
    }
    return { kind: 'mysql', url: normal }
  }
  throw new RegistryError(
    'E_REGISTRY_URL',
    `unsupported connection URL ${JSON.stringify(redactUrl(text))}: ${EXPECTED}`,
  )
}

/** `scheme+driver://…` as `<canonical>://…`, validated by the WHATWG parser. */
function networkUrl(text: string, scheme: string, canonical: string, name: string): string {
  try {
    return new URL(`${canonical}:${text.slice(scheme.length + 1)}`).href
  } catch (cause) {
    throw new RegistryError('E_REGISTRY_URL', `bad ${name} connection URL ${redactUrl(text)}`, {
      cause,
    })
  }
}

/** The URL with its password replaced, for logs and error messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@')
}
