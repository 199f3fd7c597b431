import type pg from 'pg'

/**
 * Test support for code that uses the registry: the shared PostgreSQL and
 * MariaDB test servers (`FORKLIFT_TEST_PG_URL`, `FORKLIFT_TEST_MYSQL_URL`, set
 * by scripts/test-deps.sh) and throwaway schemas / databases on them, so
 * parallel runs never see each other's tables. The drivers are loaded only
 * when a test uses that server.
 */

/** FORKLIFT_TEST_PG_URL, or undefined; throws when CI is set and it is missing (CI must test PostgreSQL). */
export function testPgUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return requiredInCi(env, 'FORKLIFT_TEST_PG_URL')
}

/** FORKLIFT_TEST_MYSQL_URL, or undefined; throws when CI is set and it is missing (CI must test MariaDB). */
export function testMysqlUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return requiredInCi(env, 'FORKLIFT_TEST_MYSQL_URL')
}

/** The line to print when PostgreSQL tests are skipped. */
export const PG_SKIP_MESSAGE =
  'FORKLIFT_TEST_PG_URL is not set: skipping PostgreSQL registry tests (run them via scripts/test.sh)'

/** The line to print when MariaDB/MySQL tests are skipped. */
export const MYSQL_SKIP_MESSAGE =
  'FORKLIFT_TEST_MYSQL_URL is not set: skipping MariaDB registry tests (run them via scripts/test.sh)'

function requiredInCi(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const url = env[name]
  if (!url && env.CI) {
    throw new Error(`${name} is not set (scripts/test-deps.sh provides it); required in CI`)
  }
  return url || undefined
}

/** A throwaway place on a shared server: its URL and how to remove it. */
export interface TestDatabase {
  url: string
  /** The schema (PostgreSQL) or database (MySQL) name. */
  name: string
  drop(): Promise<void>
}

function uniqueName(prefix: string): string {
  if (!/^fl_[a-z0-9_]*$/.test(prefix)) {
    throw new Error(`test database prefix must match fl_[a-z0-9_]*, got ${JSON.stringify(prefix)}`)
  }
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
}

/**
 * Creates a fresh schema on `base` and returns a connection URL that selects it
 * (libpq's `options=-c search_path=…`, which child processes given the URL
 * use too). `drop()` removes it.
 */
export async function createPgTestSchema(base: string, prefix = 'fl_test'): Promise<TestDatabase> {
  const schema = uniqueName(prefix)
  await withClient(base, (c) => c.query(`create schema ${schema}`))
  const sep = base.includes('?') ? '&' : '?'
  return {
    name: schema,
    url: `${base}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    drop: async () => {
      await withClient(base, (c) => c.query(`drop schema if exists ${schema} cascade`))
    },
  }
}

/**
 * Creates a fresh database on the MySQL server of `base` (the test user may
 * create `fl_*` databases) and returns `base` pointed at it. `drop()` removes it.
 */
export async function createMysqlTestDatabase(
  base: string,
  prefix = 'fl_test',
): Promise<TestDatabase> {
  const name = uniqueName(prefix)
  await withMysql(base, (c) => c.query(`create database ${name}`))
  const url = new URL(base)
  url.pathname = `/${name}`
  return {
    name,
    url: url.href,
    drop: async () => {
      await withMysql(base, (c) => c.query(`drop database if exists ${name}`))
    },
  }
}

/** Runs `fn` on a fresh PostgreSQL client of `url` and closes it. */
export async function withClient<T>(
  url: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const { default: pgModule } = await import('pg')
  const client = new pgModule.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** A MySQL connection as `withMysql` hands it: promise-style queries. */
export interface MysqlTestConnection {
  query(sql: string, values?: unknown[]): Promise<[unknown, unknown]>
}

/** Runs `fn` on a fresh MySQL connection of `url` and closes it. */
export async function withMysql<T>(
  url: string,
  fn: (connection: MysqlTestConnection) => Promise<T>,
): Promise<T> {
  const mysql = await import('mysql2/promise')
  const connection = await mysql.createConnection({ uri: url })
  try {
    return await fn(connection as unknown as MysqlTestConnection)
  } finally {
    await connection.end()
  }
}
