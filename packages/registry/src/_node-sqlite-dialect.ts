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
import { prepareSqlitePath, SqliteFileWatch } from './_sqlite-file.js'

/** How long a writer waits for another process's lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 10_000

/**
 * Kysely's SqliteDialect expects better-sqlite3's interface; this adapts Node's
 * built-in `node:sqlite` (no native build, nothing to download) to it.
 */
class NodeSqliteDatabase implements SqliteDatabase {
  readonly #db: DatabaseSync
  readonly #cache = new Map<string, { stmt: StatementSync; reader: boolean }>()
  /** Whether the file at the path is still the one open here. */
  readonly watch: SqliteFileWatch

  constructor(path: string, url: string) {
    prepareSqlitePath(path, url)
    this.#db = new DatabaseSync(path)
    try {
      this.watch = new SqliteFileWatch(path, url)
      this.#configure()
    } catch (err) {
      // A file that is not a database fails here; no half-open connection may linger (and lock).
      this.#db.close()
      throw err
    }
  }

  #configure(): void {
    // Several processes (one per backend, plus service-list) share the file:
    // wait for locks instead of failing.
    this.#db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`)
    // A rollback journal, not WAL: with WAL, a file deleted or replaced under
    // running services leaves its -wal and -shm behind, shared by every
    // process that opens the path next, which then reads the old database's
    // pages over the new one. A rollback journal keeps no such state between
    // transactions, and each transaction re-reads the file's change counter,
    // so every connection sees a replaced or overwritten file. TRUNCATE
    // spares the create and unlink of DELETE. synchronous = NORMAL syncs at
    // the critical moments only: several times FULL's heartbeats/s on this
    // disk (see the bench), at a risk SQLite calls very small, on old
    // filesystems, of damage on power loss — which the file checks report,
    // and which services recover from by registering again.
    this.#db.exec('PRAGMA journal_mode = TRUNCATE')
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
  readonly #url: string
  #database: NodeSqliteDatabase | undefined

  constructor(path: string, url: string) {
    super({ database: async () => this.#open() })
    this.#path = path
    this.#url = url
  }

  /** Throws when the open file was deleted, replaced or overwritten (see SqliteFileWatch). */
  check(): void {
    this.#database?.watch.check()
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver({ database: async () => this.#open() })
  }

  #open(): NodeSqliteDatabase {
    this.#database = new NodeSqliteDatabase(this.#path, this.#url)
    return this.#database
  }
}
