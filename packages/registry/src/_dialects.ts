// One Kysely per database kind. The network drivers are optional peer
// dependencies, imported here on first use: a SQLite-only consumer never
// installs or loads pg or mysql2.

import type { MinimalLogger as Logger } from '@forklift/log'
import { type Dialect, Kysely, MysqlDialect, PostgresDialect } from 'kysely'
import { NodeSqliteDialect } from './_node-sqlite-dialect.js'
import type { RegistryDatabase } from './_schema.js'
import { RegistryError } from './errors.js'
import type { RegistryTarget } from './url.js'

/** What the dialects need from OpenRegistryOptions. */
export interface PoolOptions {
  poolSize: number
  connectTimeoutMs: number
}

/** A Kysely for `target`; nothing connects until the first query. */
export function createKysely(
  target: RegistryTarget,
  url: string,
  pool: PoolOptions,
  log: Logger,
): { db: Kysely<RegistryDatabase>; sqlite?: NodeSqliteDialect } {
  if (target.kind === 'sqlite') {
    const sqlite = new NodeSqliteDialect(target.path, url)
    return { db: new Kysely({ dialect: sqlite }), sqlite }
  }
  const application = `forklift-registry[${process.pid}]`
  let dialect: Dialect
  if (target.kind === 'postgres') {
    dialect = new PostgresDialect({
      pool: async () => {
        const { default: pg } = await loadDriver<typeof import('pg')>('pg', 'PostgreSQL')
        const p = new pg.Pool({
          connectionString: target.url,
          max: pool.poolSize,
          connectionTimeoutMillis: pool.connectTimeoutMs,
          idleTimeoutMillis: 30_000,
          application_name: application,
        })
        // An idle client losing its server emits 'error' on the pool; unhandled, it would kill the process.
        p.on('error', (err) => log.warn({ err: err.message }, 'registry connection lost'))
        return p
      },
    })
  } else {
    dialect = new MysqlDialect({
      pool: async () => {
        const mysql = await loadDriver<typeof import('mysql2')>('mysql2', 'MySQL')
        return mysql.createPool({
          uri: target.url,
          connectionLimit: pool.poolSize,
          connectTimeout: pool.connectTimeoutMs,
          // DATETIME has no zone: every time we write and read is UTC (utc_timestamp()).
          timezone: 'Z',
          charset: 'utf8mb4',
          connectAttributes: { program_name: application },
        })
      },
    })
  }
  return { db: new Kysely({ dialect }) }
}

async function loadDriver<T>(name: string, database: string): Promise<T> {
  try {
    return (await import(name)) as T
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      throw new RegistryError(
        'E_REGISTRY_DRIVER',
        `a ${database} registry needs the ${name} package, which is not installed (npm install ${name})`,
        { cause },
      )
    }
    throw cause
  }
}
