import { randomUUID } from 'node:crypto'
import { type Generated, type Kysely, sql } from 'kysely'
import { RegistryError } from './errors.js'
import type { DbKind } from './url.js'

/** A time as the databases hand it back (SQLite: ISO text; PostgreSQL, MySQL: Date). */
type DbTime = Date | string
/** A boolean as the databases hand it back (SQLite, MySQL: 0/1). */
type DbBool = boolean | number

/** The service row. */
export interface ServicesTable {
  id: Generated<number>
  host: string
  binary: string
  topic: string
  cluster: string | null
  report_count: number
  disabled: DbBool
  disabled_reason: string | null
  created_at: DbTime
  updated_at: DbTime
  last_heartbeat: DbTime | null
  // Schema 2: cinder's operator columns, soft delete and crash marks.
  uuid: string | null
  availability_zone: Generated<string>
  frozen: Generated<DbBool>
  replication_status: Generated<string>
  active_backend_id: string | null
  deleted: Generated<DbBool>
  deleted_at: DbTime | null
  /** 0 while the row is live, its id once deleted: unique with host and binary. */
  race_preventer: Generated<number>
  /** When a launcher saw this service's process die; down until a later heartbeat. */
  crashed_at: DbTime | null
}

/** The cluster row (cinder's `clusters`). */
export interface ClustersTable {
  id: Generated<number>
  name: string
  binary: string
  disabled: DbBool
  disabled_reason: string | null
  race_preventer: Generated<number>
  replication_status: Generated<string>
  active_backend_id: string | null
  frozen: Generated<DbBool>
  created_at: DbTime
  updated_at: DbTime
  deleted: Generated<DbBool>
  deleted_at: DbTime | null
}

export interface SchemaTable {
  version: number
}

export interface RegistryDatabase {
  forklift_services: ServicesTable
  forklift_clusters: ClustersTable
  forklift_registry_schema: SchemaTable
}

interface Migration {
  version: number
  up(db: Kysely<RegistryDatabase>, kind: DbKind): Promise<void>
}

/** Column types per database. */
function types(kind: DbKind) {
  return {
    time: sql.raw(kind === 'postgres' ? 'timestamptz' : kind === 'mysql' ? 'datetime(6)' : 'text'),
    bool: sql.raw(kind === 'sqlite' ? 'integer' : 'boolean'),
    false: sql.raw(kind === 'postgres' ? 'false' : '0'),
    id: sql.raw(
      kind === 'postgres'
        ? 'id serial primary key'
        : kind === 'mysql'
          ? 'id integer not null auto_increment primary key'
          : 'id integer primary key autoincrement',
    ),
    engine: sql.raw(kind === 'mysql' ? ' engine=InnoDB default charset=utf8mb4' : ''),
  }
}

/** Ordered, append-only: a released migration is never changed for a database it ran on. */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    async up(db, kind) {
      const t = types(kind)
      // The original SQLite and PostgreSQL text, with identifiers quoted per dialect for MySQL.
      await sql`create table forklift_services (
        ${t.id},
        host varchar(255) not null,
        ${sql.id('binary')} varchar(255) not null,
        topic varchar(255) not null,
        cluster varchar(255),
        report_count integer not null default 0,
        disabled ${t.bool} not null default ${t.false},
        disabled_reason varchar(255),
        created_at ${t.time} not null,
        updated_at ${t.time} not null,
        last_heartbeat ${t.time}
      )${t.engine}`.execute(db)
      await sql`create unique index forklift_services_host_binary on forklift_services (host, ${sql.id('binary')})`.execute(
        db,
      )
    },
  },
  {
    version: 2,
    async up(db, kind) {
      const t = types(kind)
      const add = (column: string, definition: ReturnType<typeof sql>) =>
        sql`alter table forklift_services add column ${sql.id(column)} ${definition}`.execute(db)
      await add('uuid', sql`varchar(36)`)
      await add('availability_zone', sql`varchar(255) not null default 'nova'`)
      await add('frozen', sql`${t.bool} not null default ${t.false}`)
      await add('replication_status', sql`varchar(36) not null default 'not-capable'`)
      await add('active_backend_id', sql`varchar(255)`)
      await add('deleted', sql`${t.bool} not null default ${t.false}`)
      await add('deleted_at', sql`${t.time}`)
      await add('race_preventer', sql`integer not null default 0`)
      await add('crashed_at', sql`${t.time}`)
      // Soft-deleted rows keep their (host, binary): only live ones must be unique.
      await sql`drop index forklift_services_host_binary${sql.raw(kind === 'mysql' ? ' on forklift_services' : '')}`.execute(
        db,
      )
      await sql`create unique index forklift_services_host_binary_live on forklift_services (host, ${sql.id('binary')}, race_preventer)`.execute(
        db,
      )
      const rows = await db.selectFrom('forklift_services').select('id').execute()
      for (const { id } of rows) {
        await db
          .updateTable('forklift_services')
          .set({ uuid: randomUUID() })
          .where('id', '=', id)
          .execute()
      }
      await sql`create unique index forklift_services_uuid on forklift_services (uuid)`.execute(db)
      await sql`create table forklift_clusters (
        ${t.id},
        name varchar(255) not null,
        ${sql.id('binary')} varchar(255) not null,
        disabled ${t.bool} not null default ${t.false},
        disabled_reason varchar(255),
        race_preventer integer not null default 0,
        replication_status varchar(36) not null default 'not-capable',
        active_backend_id varchar(255),
        frozen ${t.bool} not null default ${t.false},
        created_at ${t.time} not null,
        updated_at ${t.time} not null,
        deleted ${t.bool} not null default ${t.false},
        deleted_at ${t.time}
      )${t.engine}`.execute(db)
      // cinder's race preventer: two live clusters of one name and binary cannot both be created.
      await sql`create unique index forklift_clusters_name_binary_live on forklift_clusters (name, ${sql.id('binary')}, race_preventer)`.execute(
        db,
      )
    },
  },
]

/** The schema version this code writes and understands. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version

/** Seconds a process waits for another one's migration (MySQL's named lock). */
const MYSQL_LOCK_TIMEOUT_S = 60

/**
 * Creates or upgrades the schema, safely when several processes start at once:
 * PostgreSQL serialises on a transaction-scoped advisory lock (per schema),
 * SQLite on BEGIN IMMEDIATE (the dialect's transactions take the write lock),
 * MySQL on a named lock (per database) held by the one connection that
 * migrates, since its DDL commits implicitly. Returns the version found before.
 * `target` stops at an older version (the upgrade tests build old databases).
 */
export async function migrate(
  db: Kysely<RegistryDatabase>,
  kind: DbKind,
  target = SCHEMA_VERSION,
): Promise<number> {
  if (kind === 'mysql') {
    return db.connection().execute(async (conn) => {
      const lock = await sql<{
        ok: number | null
      }>`select get_lock(concat('forklift-registry:', database()), ${MYSQL_LOCK_TIMEOUT_S}) as ok`.execute(
        conn,
      )
      if (Number(lock.rows[0]?.ok) !== 1) {
        throw new RegistryError(
          'E_REGISTRY_SCHEMA',
          `timed out after ${MYSQL_LOCK_TIMEOUT_S} s waiting for another process's schema migration lock`,
        )
      }
      try {
        return await migrateLocked(conn, kind, target)
      } finally {
        await sql`select release_lock(concat('forklift-registry:', database()))`.execute(conn)
      }
    })
  }
  return db.transaction().execute(async (trx) => {
    if (kind === 'postgres') {
      await sql`select pg_advisory_xact_lock(hashtext('forklift-registry:' || coalesce(current_schema(), '')))`.execute(
        trx,
      )
    }
    return migrateLocked(trx, kind, target)
  })
}

async function migrateLocked(
  db: Kysely<RegistryDatabase>,
  kind: DbKind,
  target: number,
): Promise<number> {
  await sql`create table if not exists forklift_registry_schema (version integer not null)${types(kind).engine}`.execute(
    db,
  )
  const row = await db
    .selectFrom('forklift_registry_schema')
    .select((eb) => eb.fn.max('version').as('version'))
    .executeTakeFirst()
  const current = Number(row?.version ?? 0)
  if (current > SCHEMA_VERSION) {
    throw new RegistryError(
      'E_REGISTRY_SCHEMA',
      `registry schema version ${current} is newer than this forklift understands (${SCHEMA_VERSION})`,
    )
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current || m.version > target) continue
    await m.up(db, kind)
    await db.insertInto('forklift_registry_schema').values({ version: m.version }).execute()
  }
  return current
}
