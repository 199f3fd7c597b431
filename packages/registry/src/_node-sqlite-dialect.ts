import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite'
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type SqliteDatabase,
  SqliteDialect,
  SqliteDriver,
  type SqliteStatement,
} from 'kysely'

/** How long a writer waits for another process's lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 10_000

/**
 * Kysely's SqliteDialect expects better-sqlite3's interface; this adapts Node's
 * built-in `node:sqlite` (no native build, nothing to download) to it.
 */
class NodeSqliteDatabase implements SqliteDatabase {
  readonly #db: DatabaseSync
  readonly #cache = new Map<string, { stmt: StatementSync; reader: boolean }>()

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    this.#db = new DatabaseSync(path)
    // Several processes (one per backend, plus service-list) share the file:
    // wait for locks instead of failing, and let readers run beside the writer.
    this.#db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`)
    this.#db.exec('PRAGMA journal_mode = WAL')
    this.#db.exec('PRAGMA synchronous = NORMAL')
  }

  prepare(sql: string): SqliteStatement {
    let entry = this.#cache.get(sql)
    if (!entry) {
      const stmt = this.#db.prepare(sql)
      entry = { stmt, reader: stmt.columns().length > 0 }
      if (this.#cache.size < 256) this.#cache.set(sql, entry)
    }
    const { stmt, reader } = entry
    return {
      reader,
      all: (parameters) => stmt.all(...toSqlite(parameters)),
      run: (parameters) => stmt.run(...toSqlite(parameters)),
      iterate: (parameters) => stmt.iterate(...toSqlite(parameters)),
    }
  }

  close(): void {
    this.#cache.clear()
    if (this.#db.isOpen) this.#db.close()
  }
}

/** node:sqlite binds only numbers, bigints, strings, buffers and null. */
function toSqlite(parameters: ReadonlyArray<unknown>): SQLInputValue[] {
  return parameters.map((p) => {
    if (typeof p === 'boolean') return p ? 1 : 0
    if (p instanceof Date) return p.toISOString()
    if (p === undefined) return null
    return p as SQLInputValue
  })
}

/**
 * Kysely's SQLite driver opens transactions with a plain (deferred) BEGIN; two
 * processes that both read and then write would then fail with SQLITE_BUSY
 * instead of waiting. BEGIN IMMEDIATE takes the write lock up front, so the
 * busy timeout applies and concurrent migrations serialise.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'))
  }
}

/** A Kysely dialect over `node:sqlite`, opening the file lazily in the calling process. */
export class NodeSqliteDialect extends SqliteDialect {
  readonly #path: string

  constructor(path: string) {
    super({ database: async () => new NodeSqliteDatabase(path) })
    this.#path = path
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver({ database: async () => new NodeSqliteDatabase(this.#path) })
  }
}
