import { type Generated, type Kysely, sql } from 'kysely'
import { RegistryError } from './errors.js'

/** The row as both databases store it (SQLite: text times, 0/1 booleans). */
export interface ServicesTable {
  id: Generated<number>
  host: string
  binary: string
  topic: string
  cluster: string | null
  report_count: number
  disabled: boolean | number
  disabled_reason: string | null
  created_at: Date | string
  updated_at: Date | string
  last_heartbeat: Date | string | null
}

export interface SchemaTable {
  version: number
}

export interface RegistryDatabase {
  forklift_services: ServicesTable
  forklift_registry_schema: SchemaTable
}

export type DbKind = 'sqlite' | 'postgres'

interface Migration {
  version: number
  up(trx: Kysely<RegistryDatabase>, kind: DbKind): Promise<void>
}

/** Ordered, append-only: a released migration is never edited, a new one is added. */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    async up(trx, kind) {
      const time = kind === 'postgres' ? 'timestamptz' : 'text'
      const bool = kind === 'postgres' ? 'boolean' : 'integer'
      const idColumn =
        kind === 'postgres' ? sql`id serial primary key` : sql`id integer primary key autoincrement`
      await sql`create table forklift_services (
        ${idColumn},
        host varchar(255) not null,
        "binary" varchar(255) not null,
        topic varchar(255) not null,
        cluster varchar(255),
        report_count integer not null default 0,
        disabled ${sql.raw(bool)} not null default ${sql.raw(kind === 'postgres' ? 'false' : '0')},
        disabled_reason varchar(255),
        created_at ${sql.raw(time)} not null,
        updated_at ${sql.raw(time)} not null,
        last_heartbeat ${sql.raw(time)}
      )`.execute(trx)
      await sql`create unique index forklift_services_host_binary on forklift_services (host, "binary")`.execute(
        trx,
      )
    },
  },
]

/** The schema version this code writes and understands. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version

/**
 * Creates or upgrades the schema, safely when several processes start at once:
 * PostgreSQL serialises on a transaction-scoped advisory lock (per schema),
 * SQLite on BEGIN IMMEDIATE (the dialect's transactions take the write lock).
 * Returns the version found before migrating.
 */
export async function migrate(db: Kysely<RegistryDatabase>, kind: DbKind): Promise<number> {
  return db.transaction().execute(async (trx) => {
    if (kind === 'postgres') {
      await sql`select pg_advisory_xact_lock(hashtext('forklift-registry:' || coalesce(current_schema(), '')))`.execute(
        trx,
      )
    }
    await sql`create table if not exists forklift_registry_schema (version integer not null)`.execute(
      trx,
    )
    const row = await trx
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
      if (m.version <= current) continue
      await m.up(trx, kind)
      await trx.insertInto('forklift_registry_schema').values({ version: m.version }).execute()
    }
    return current
  })
}
